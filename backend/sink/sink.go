// Package sink is the built-in HTTP request recorder behind /sink/{name}:
// demos deliver there so the whole flow works offline, and the console
// and tests read back what arrived. It keeps everything in memory, within
// Limits (or, for the replicas of a team server, in the database:
// NewShared), and knows nothing of the relay.
package sink

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/keyring"
	"fusebox/backend/store"
)

// Sink records the requests it receives, per name, in memory, within
// Limits: the last Requests requests of each sink; the URL, headers
// and body of each capped (the rest dropped, marked truncated); at most
// Sinks sink names (a new name beyond forgets the least recently used
// sink, so a flood of names can never make a sink refuse a delivery); and
// at most TotalBytes stored in all (the oldest requests are dropped
// first). It is the
// built-in receiver behind /sink/{name}: the demo workspace delivers there
// so the whole flow works offline, and tests can read it back.
type Sink struct {
	db     *store.DB        // set: the requests live in the database (NewShared)
	kr     *keyring.Keyring // seals what the database holds (NewShared)
	mu     sync.Mutex
	lim    Limits
	sinks  map[string]*sinkLog
	nextID int64
	bytes  int64 // stored bytes of every kept request
}

// Limits bound what the sink keeps in memory. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	Requests    int   // kept per sink (default 200)
	BodyBytes   int   // kept per request body (default 64 KiB)
	URLBytes    int   // kept per request URL (default 4 KiB)
	HeaderBytes int   // kept per request, header names and values (default 16 KiB)
	Sinks       int   // sink names kept; beyond, the least recently used is forgotten (default 100)
	TotalBytes  int64 // kept in all (default 32 MiB)
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{Requests: 200, BodyBytes: 64 << 10, URLBytes: 4 << 10, HeaderBytes: 16 << 10, Sinks: 100, TotalBytes: 32 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Requests <= 0 {
		l.Requests = d.Requests
	}
	if l.BodyBytes <= 0 {
		l.BodyBytes = d.BodyBytes
	}
	if l.URLBytes <= 0 {
		l.URLBytes = d.URLBytes
	}
	if l.HeaderBytes <= 0 {
		l.HeaderBytes = d.HeaderBytes
	}
	if l.Sinks <= 0 {
		l.Sinks = d.Sinks
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = d.TotalBytes
	}
	return l
}

type sinkLog struct {
	reqs  []Request // oldest first
	total int64
	last  time.Time
	used  int64 // the id of its last request: the least used is forgotten first
}

// Request is one request a sink received.
type Request struct {
	ID           int64       `json:"id"`
	ReceivedAt   time.Time   `json:"received_at"`
	Method       string      `json:"method"`
	URL          string      `json:"url"`
	URLTruncated bool        `json:"url_truncated,omitempty"`
	Headers      [][2]string `json:"headers"`
	// HeadersTruncated: headers beyond the per-request cap were dropped
	// (the last entry says how many bytes).
	HeadersTruncated bool   `json:"headers_truncated,omitempty"`
	Body             string `json:"body"`
	BodyBytes        int64  `json:"body_bytes"`
	Truncated        bool   `json:"truncated"`
	Binary           bool   `json:"binary,omitempty"`
}

// size is what the request holds in memory, roughly.
func (r *Request) size() int64 {
	n := len(r.Method) + len(r.URL) + len(r.Body) + 64
	for _, h := range r.Headers {
		n += len(h[0]) + len(h[1]) + 32
	}
	return int64(n)
}

// Summary describes one sink.
type Summary struct {
	Name     string    `json:"name"`
	Total    int64     `json:"total"`
	Kept     int       `json:"kept"`
	LastSeen time.Time `json:"last_seen"`
}

// New makes a sink store; zero values take 200 requests per sink and
// 64 KiB per body, and the other defaults of DefaultLimits.
func New(capacity, bodyLimit int) *Sink {
	return NewWithLimits(Limits{Requests: capacity, BodyBytes: bodyLimit})
}

// NewWithLimits makes a sink store with limits (zero fields take the
// defaults).
func NewWithLimits(l Limits) *Sink {
	return &Sink{lim: l.withDefaults(), sinks: map[string]*sinkLog{}}
}

// Limits returns the limits in force.
func (k *Sink) Limits() Limits { return k.lim }

var sinkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// truncMark ends a value cut at a cap.
const truncMark = "…[truncated]"

// Record stores a request under name, reading its body (up to the cap;
// the rest is counted and dropped). A new name beyond the sink limit
// forgets the least recently used sink: the sink answers every request
// (anyone may post to it, so refusing new names would let anyone break
// the deliveries of a destination made later), and memory stays bounded.
func (k *Sink) Record(ctx context.Context, name string, r *http.Request) (Request, error) {
	if !sinkName.MatchString(name) {
		return Request{}, errs.Invalid("sink name %q: letters, digits, '.', '-' and '_' (at most 100)", name)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(k.lim.BodyBytes)+1))
	if err != nil {
		return Request{}, errs.Invalid("read request body: %v", err)
	}
	rest, _ := io.Copy(io.Discard, r.Body)
	req := Request{ReceivedAt: time.Now().UTC(), Method: r.Method, URL: r.URL.RequestURI(), BodyBytes: int64(len(body)) + rest}
	if len(req.Method) > 32 {
		req.Method = req.Method[:32]
	}
	if len(req.URL) > k.lim.URLBytes {
		req.URL, req.URLTruncated = strings.ToValidUTF8(req.URL[:k.lim.URLBytes], "")+truncMark, true
	}
	if len(body) > k.lim.BodyBytes {
		body, req.Truncated = body[:k.lim.BodyBytes], true
	}
	if rest > 0 {
		req.Truncated = true
	}
	if utf8.Valid(body) || req.Truncated && utf8.Valid(trimPartialRune(body)) {
		req.Body = string(trimPartialRune(body))
	} else {
		req.Body, req.Binary = strings.ToValidUTF8(string(body), "\uFFFD"), true
	}
	req.Headers, req.HeadersTruncated = k.headers(r)
	if k.db != nil {
		return k.recordShared(ctx, name, req)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	log := k.sinks[name]
	if log == nil {
		for len(k.sinks) >= k.lim.Sinks && k.forgetLeastUsed() {
		}
		log = &sinkLog{}
		k.sinks[name] = log
	}
	k.nextID++
	req.ID = k.nextID
	log.total++
	log.last = req.ReceivedAt
	log.used = req.ID
	log.reqs = append(log.reqs, req)
	k.bytes += req.size()
	for len(log.reqs) > k.lim.Requests {
		k.bytes -= log.reqs[0].size()
		log.reqs[0] = Request{}
		log.reqs = log.reqs[1:]
	}
	for k.bytes > k.lim.TotalBytes && k.dropOldestRequest() {
	}
	return req, nil
}

// headers copies r's headers (Host first, then by name) up to the
// per-request cap; the rest are dropped and counted in a final entry.
func (k *Sink) headers(r *http.Request) ([][2]string, bool) {
	names := make([]string, 0, len(r.Header))
	for n := range r.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	budget := k.lim.HeaderBytes
	var out [][2]string
	dropped := 0
	add := func(n, v string) {
		if dropped > 0 || len(n)+len(v) > budget {
			if len(n)+len(truncMark) <= budget && dropped == 0 && len(v) > 0 {
				keep := budget - len(n) - len(truncMark)
				if keep > 0 {
					out = append(out, [2]string{n, strings.ToValidUTF8(v[:keep], "") + truncMark})
					budget -= len(n) + keep + len(truncMark)
					dropped += len(v) - keep
					return
				}
			}
			dropped += len(n) + len(v)
			return
		}
		out = append(out, [2]string{n, v})
		budget -= len(n) + len(v)
	}
	add("Host", r.Host)
	for _, n := range names {
		for _, v := range r.Header[n] {
			add(n, v)
		}
	}
	if dropped > 0 {
		out = append(out, [2]string{"…", fmt.Sprintf("%d more header bytes were dropped (the sink keeps %d bytes of headers per request)", dropped, k.lim.HeaderBytes)})
	}
	return out, dropped > 0
}

// forgetLeastUsed forgets the sink whose last request is the oldest;
// false when there is none. The caller holds k.mu.
func (k *Sink) forgetLeastUsed() bool {
	var name string
	var least *sinkLog
	for n, l := range k.sinks {
		if least == nil || l.used < least.used {
			name, least = n, l
		}
	}
	if least == nil {
		return false
	}
	for i := range least.reqs {
		k.bytes -= least.reqs[i].size()
	}
	delete(k.sinks, name)
	return true
}

// dropOldestRequest forgets the oldest kept request of all sinks; false
// when there is none. The caller holds k.mu.
func (k *Sink) dropOldestRequest() bool {
	var oldest *sinkLog
	for _, l := range k.sinks {
		if len(l.reqs) > 0 && (oldest == nil || l.reqs[0].ID < oldest.reqs[0].ID) {
			oldest = l
		}
	}
	if oldest == nil {
		return false
	}
	k.bytes -= oldest.reqs[0].size()
	oldest.reqs[0] = Request{}
	oldest.reqs = oldest.reqs[1:]
	return true
}

// StoredBytes is about how many bytes the kept requests hold in memory
// (none for a shared sink).
func (k *Sink) StoredBytes() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bytes
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

// List returns every sink, most recently used first.
func (k *Sink) List(ctx context.Context) ([]Summary, error) {
	if k.db != nil {
		return k.listShared(ctx)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]Summary, 0, len(k.sinks))
	for n, l := range k.sinks {
		out = append(out, Summary{Name: n, Total: l.total, Kept: len(l.reqs), LastSeen: l.last})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}

// Requests returns the requests a sink kept, newest first; at most limit
// (0 = all), only those with ids above after.
func (k *Sink) Requests(ctx context.Context, name string, after int64, limit int) ([]Request, Summary, error) {
	if k.db != nil {
		return k.requestsShared(ctx, name, after, limit)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.sinks[name]
	if l == nil {
		return []Request{}, Summary{Name: name}, nil
	}
	out := []Request{}
	for i := len(l.reqs) - 1; i >= 0; i-- {
		if l.reqs[i].ID <= after {
			break
		}
		out = append(out, l.reqs[i])
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, Summary{Name: name, Total: l.total, Kept: len(l.reqs), LastSeen: l.last}, nil
}

// Clear forgets a sink's requests.
func (k *Sink) Clear(ctx context.Context, name string) error {
	if k.db != nil {
		return k.clearShared(ctx, name)
	}
	k.mu.Lock()
	if l := k.sinks[name]; l != nil {
		for i := range l.reqs {
			k.bytes -= l.reqs[i].size()
		}
		delete(k.sinks, name)
	}
	k.mu.Unlock()
	return nil
}
