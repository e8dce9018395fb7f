package relay

import (
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fusebox/backend/errs"
)

// Sink records the requests it receives, per name, in memory: the last
// Capacity requests of each sink, bodies capped at BodyLimit bytes, at
// most MaxSinks sinks (the least recently used is dropped). It is the
// built-in receiver behind /sink/{name}: the demo workspace delivers
// there so the whole flow works offline, and tests can read it back.
type Sink struct {
	mu        sync.Mutex
	capacity  int
	bodyLimit int
	sinks     map[string]*sinkLog
	nextID    int64
}

// MaxSinks bounds how many sink names are kept.
const MaxSinks = 100

type sinkLog struct {
	reqs  []SinkRequest // ring, oldest first after ordering
	total int64
	last  time.Time
}

// SinkRequest is one request a sink received.
type SinkRequest struct {
	ID         int64       `json:"id"`
	ReceivedAt time.Time   `json:"received_at"`
	Method     string      `json:"method"`
	URL        string      `json:"url"`
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body"`
	BodyBytes  int64       `json:"body_bytes"`
	Truncated  bool        `json:"truncated"`
	Binary     bool        `json:"binary,omitempty"`
}

// SinkSummary describes one sink.
type SinkSummary struct {
	Name     string    `json:"name"`
	Total    int64     `json:"total"`
	Kept     int       `json:"kept"`
	LastSeen time.Time `json:"last_seen"`
}

// NewSink makes a sink store; zero values take 200 requests and 64 KiB.
func NewSink(capacity, bodyLimit int) *Sink {
	if capacity <= 0 {
		capacity = 200
	}
	if bodyLimit <= 0 {
		bodyLimit = 64 << 10
	}
	return &Sink{capacity: capacity, bodyLimit: bodyLimit, sinks: map[string]*sinkLog{}}
}

var sinkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// Record stores a request under name, reading its body (up to the cap;
// the rest is counted and dropped).
func (k *Sink) Record(name string, r *http.Request) (SinkRequest, error) {
	if !sinkName.MatchString(name) {
		return SinkRequest{}, errs.Invalid("sink name %q: letters, digits, '.', '-' and '_' (at most 100)", name)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(k.bodyLimit)+1))
	if err != nil {
		return SinkRequest{}, errs.Invalid("read request body: %v", err)
	}
	rest, _ := io.Copy(io.Discard, r.Body)
	req := SinkRequest{ReceivedAt: time.Now().UTC(), Method: r.Method, URL: r.URL.RequestURI(), BodyBytes: int64(len(body)) + rest}
	if len(body) > k.bodyLimit {
		body, req.Truncated = body[:k.bodyLimit], true
	}
	if rest > 0 {
		req.Truncated = true
	}
	if utf8.Valid(body) || req.Truncated && utf8.Valid(trimPartialRune(body)) {
		req.Body = string(trimPartialRune(body))
	} else {
		req.Body, req.Binary = strings.ToValidUTF8(string(body), "\uFFFD"), true
	}
	names := make([]string, 0, len(r.Header))
	for n := range r.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	req.Headers = append(req.Headers, [2]string{"Host", r.Host})
	for _, n := range names {
		for _, v := range r.Header[n] {
			req.Headers = append(req.Headers, [2]string{n, v})
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nextID++
	req.ID = k.nextID
	log := k.sinks[name]
	if log == nil {
		if len(k.sinks) >= MaxSinks {
			k.dropOldest()
		}
		log = &sinkLog{}
		k.sinks[name] = log
	}
	log.total++
	log.last = req.ReceivedAt
	log.reqs = append(log.reqs, req)
	if len(log.reqs) > k.capacity {
		log.reqs = append(log.reqs[:0], log.reqs[len(log.reqs)-k.capacity:]...)
	}
	return req, nil
}

func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

func (k *Sink) dropOldest() {
	var oldest string
	var at time.Time
	for n, l := range k.sinks {
		if oldest == "" || l.last.Before(at) {
			oldest, at = n, l.last
		}
	}
	delete(k.sinks, oldest)
}

// List returns every sink, most recently used first.
func (k *Sink) List() []SinkSummary {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]SinkSummary, 0, len(k.sinks))
	for n, l := range k.sinks {
		out = append(out, SinkSummary{Name: n, Total: l.total, Kept: len(l.reqs), LastSeen: l.last})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out
}

// Requests returns the requests a sink kept, newest first; at most limit
// (0 = all), only those with ids above after.
func (k *Sink) Requests(name string, after int64, limit int) ([]SinkRequest, SinkSummary) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.sinks[name]
	if l == nil {
		return []SinkRequest{}, SinkSummary{Name: name}
	}
	out := []SinkRequest{}
	for i := len(l.reqs) - 1; i >= 0; i-- {
		if l.reqs[i].ID <= after {
			break
		}
		out = append(out, l.reqs[i])
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, SinkSummary{Name: name, Total: l.total, Kept: len(l.reqs), LastSeen: l.last}
}

// Clear forgets a sink's requests.
func (k *Sink) Clear(name string) {
	k.mu.Lock()
	delete(k.sinks, name)
	k.mu.Unlock()
}
