package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
)

// outbound is a request ready to send (or, masked, to show).
type outbound struct {
	method  string
	url     string
	headers [][2]string
	body    []byte
	// secrets are the values of the secrets this request carries, so that
	// an echo of them (a receiver's response) can be masked before it is
	// stored.
	secrets []string
	// self: the URL was a path on this server (/sink/..., /relay/...),
	// so the request carries SelfHeader (own.go).
	self bool
}

// mask replaces the secret values o carries in text.
func (o *outbound) mask(text string) string {
	for _, v := range o.secrets {
		if len(v) >= 4 {
			text = strings.ReplaceAll(text, v, "«secret»")
		}
	}
	return text
}

// buildError is a reason the request cannot be built. retry says whether
// trying again later may help (the server address is not known yet) or
// not (a secret is missing: it needs a person).
type buildError struct {
	msg   string
	retry bool
}

func (e *buildError) Error() string { return e.msg }

// queued is what the worker knows about a delivery it claimed.
type queued struct {
	id       int64
	uid      string
	records  int
	attempts int
	round    int
	reserved bool
	url      string
	query    string
	headers  string
	body     []byte
	sync     bool // sent for a sync inbound route: keep the response body
	// slot is the request's slot of its destination's budget, when the
	// destination shares it through the database (slots.go); deliver frees
	// it.
	slot *sendSlot
}

// buildRequest assembles the request of delivery q for destination c:
// the URL (with secrets, resolved against this server for paths) plus the
// record's query parameters, static headers with secrets, the record's
// header fields, the idempotency and Standard Webhooks headers, and the
// body. With mask, secrets show as «secret NAME: set» and no value of a
// secret is ever placed in the result.
func (s *Service) buildRequest(ctx context.Context, c *compiled, q *queued, mask bool, now time.Time) (outbound, *buildError) {
	src := &secretSource{ctx: ctx, env: s.secrets, installs: s.installs, installID: c.installID}
	var o outbound
	var missing []string
	u := q.url
	if u == "" {
		var miss []string
		u, miss = c.url.renderSecrets(src, mask, true)
		missing = append(missing, miss...)
	}
	if strings.HasPrefix(u, "/") {
		base := s.base()
		if base == "" {
			if !mask {
				return outbound{}, &buildError{msg: fmt.Sprintf("url %s is a path on this server, whose address is not known yet", u), retry: true}
			}
			base = "http://127.0.0.1:PORT"
		}
		u = base + u
		o.self = true
	} else if base := s.base(); base != "" && strings.HasPrefix(u, base+"/") {
		// A full URL on this server's own address (a marketplace route
		// built from {{fusebox.base_url}}).
		o.self = true
	}
	if q.query != "" {
		if strings.Contains(u, "?") {
			u += "&" + q.query
		} else {
			u += "?" + q.query
		}
	}
	o.method, o.url, o.body = c.d.EffectiveMethod(), u, q.body
	o.headers = append(o.headers, [2]string{"Content-Type", "application/json"}, [2]string{"User-Agent", s.ua})
	for _, h := range c.headers {
		v, miss := h.tmpl.renderSecrets(src, mask, false)
		missing = append(missing, miss...)
		o.headers = append(o.headers, [2]string{h.name, v})
	}
	if q.headers != "" {
		var hs [][2]string
		if err := json.Unmarshal([]byte(q.headers), &hs); err != nil {
			return outbound{}, &buildError{msg: "stored header fields are corrupt: " + err.Error()}
		}
		for _, h := range hs {
			if bad := badHeaderValue(h[1]); bad {
				return outbound{}, &buildError{msg: fmt.Sprintf("header field %s has a value with a line break or control character; it cannot be sent as a header", h[0])}
			}
			o.headers = append(o.headers, h)
		}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	o.headers = append(o.headers, [2]string{"Idempotency-Key", q.uid}, [2]string{"webhook-id", q.uid}, [2]string{"webhook-timestamp", ts})
	if name := c.d.SigningSecret; name != "" {
		secret, ok := s.secrets(name)
		if !ok {
			missing = append(missing, name)
		} else {
			sig, err := Sign(secret, q.uid, now, q.body)
			if err != nil {
				return outbound{}, &buildError{msg: fmt.Sprintf("signing secret %s: %v", name, err)}
			}
			o.headers = append(o.headers, [2]string{"webhook-signature", sig})
		}
	}
	if (len(missing) > 0 || len(src.failed) > 0) && !mask {
		var reasons []string
		if len(missing) > 0 {
			reasons = append(reasons, s.missingReasons(missing)...)
		}
		reasons = append(reasons, src.failed...)
		return outbound{}, &buildError{msg: strings.Join(reasons, "; ")}
	}
	if !mask {
		for _, n := range c.d.SecretNames() {
			if v, ok := s.secrets(n); ok {
				o.secrets = append(o.secrets, v)
			}
		}
		for name, v := range src.read {
			o.secrets = append(o.secrets, v)
			s.sent.remember(v, "«install secret "+name+"»")
		}
	}
	return o, nil
}

func missingMessage(names []string) string {
	seen := map[string]bool{}
	var uniq []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			uniq = append(uniq, n)
		}
	}
	if len(uniq) == 1 {
		return fmt.Sprintf("secret %s is not set in the environment of the Fusebox process; set it and retry the delivery", uniq[0])
	}
	return fmt.Sprintf("secrets %s are not set in the environment of the Fusebox process; set them and retry the delivery", strings.Join(uniq, ", "))
}

func badHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// Sign returns the Standard Webhooks signature header value
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>". A secret written
// whsec_<base64> (the spec's format) is base64-decoded to get the key;
// any other value is used as the key as it is.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", fmt.Errorf("a whsec_ secret must be base64 after the prefix: %v", err)
		}
		key = k
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Verify checks a webhook-signature header value (space-separated
// "v1,<sig>" entries) against the id, timestamp and body; receivers and
// tests use it.
func Verify(secret, id, timestamp string, body []byte, header string) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	want, err := Sign(secret, id, time.Unix(sec, 0), body)
	if err != nil {
		return false
	}
	for _, part := range strings.Fields(header) {
		if hmac.Equal([]byte(part), []byte(want)) {
			return true
		}
	}
	return false
}

// PreviewInput is a destination (saved or being edited) and sample
// records to preview.
type PreviewInput struct {
	Destination Destination `json:"destination"`
	// Records: one JSON object, or an array of them.
	Records json.RawMessage `json:"records"`
	// Context fills params: user_id, user_group, file_name, metadata...
	Context Context `json:"context"`
	// OutboundURL and QueryParamFields preview an inbound request's
	// x-Osmos-Outbound-Url and x-Osmos-Query-Param-Fields headers.
	OutboundURL      string   `json:"outbound_url,omitempty"`
	QueryParamFields []string `json:"query_param_fields,omitempty"`
}

// PreviewRequest is one outbound request as it would be sent, secrets
// masked.
type PreviewRequest struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
	Records int         `json:"records"`
}

// PreviewDiscard is a sample record that would not be sent.
type PreviewDiscard struct {
	Record string `json:"record"`
	Reason string `json:"reason"`
}

// Preview is what a destination would send for the sample.
type Preview struct {
	Requests  []PreviewRequest `json:"requests"`
	Discarded []PreviewDiscard `json:"discarded"`
	Secrets   []SecretStatus   `json:"secrets"`
	Problems  []string         `json:"problems"`
}

// Preview shapes sample records exactly as the worker would and returns
// the outbound requests with secrets masked. Session tokens in the sample
// are really checked.
func (s *Service) Preview(ctx context.Context, in PreviewInput) (Preview, error) {
	d := in.Destination
	if err := d.Normalize(); err != nil {
		return Preview{}, err
	}
	c, err := compile(d)
	if err != nil {
		return Preview{}, errs.Invalid("destination %q: %v", d.ID, err)
	}
	p := Preview{Requests: []PreviewRequest{}, Discarded: []PreviewDiscard{}, Secrets: s.secretStatus(&d), Problems: []string{}}
	var records [][]byte
	if d.SendsStatus() {
		records = [][]byte{statusEvent(ImportInfo{Slug: firstNonEmpty(in.Context.ImportSlug, "imp_example"), Importer: firstNonEmpty(in.Context.Importer, d.Importer),
			Status: "completed", RowCount: 2, RecordCount: 2, Metadata: in.Context.Metadata, At: s.now()})}
	} else {
		records, err = splitRecords(in.Records)
		if err != nil {
			return Preview{}, err
		}
	}
	urlOverride := ""
	if in.OutboundURL != "" {
		if err := allowedOutbound(&d, in.OutboundURL); err != nil {
			return Preview{}, err
		}
		urlOverride = in.OutboundURL
	}
	b := newBatcher(d.Batch, urlOverride, 1)
	if d.SendsStatus() {
		b.emit(newDelivery{records: 0, status: StatusPending, body: records[0]})
	} else {
		tc := s.newTokenCheck(d.Importer)
		for i, rec := range records {
			if err := s.shapeOne(ctx, c, b, tc, rec, int64(i+1), &in.Context, d.Inbound != nil, in.QueryParamFields); err != nil {
				return Preview{}, err
			}
		}
		b.close()
	}
	now := s.now()
	for _, nd := range b.take() {
		if nd.status == StatusDiscarded {
			p.Discarded = append(p.Discarded, PreviewDiscard{Record: string(nd.body), Reason: nd.reason})
			continue
		}
		q := &queued{uid: "msg_preview" + strconv.FormatInt(nd.seq, 10), records: nd.records, url: nd.url, query: nd.query, headers: nd.headers, body: nd.body}
		o, berr := s.buildRequest(ctx, c, q, true, now)
		if berr != nil {
			p.Problems = append(p.Problems, berr.msg)
			continue
		}
		p.Requests = append(p.Requests, PreviewRequest{Method: o.method, URL: o.url, Headers: o.headers, Body: prettyJSON(o.body), Records: nd.records})
	}
	for _, st := range p.Secrets {
		if !st.Set {
			p.Problems = append(p.Problems, fmt.Sprintf("secret %s is not set in the environment: deliveries will fail until it is", st.Name))
		}
	}
	if strings.HasPrefix(d.URL, "/") && s.base() == "" {
		p.Problems = append(p.Problems, "the URL is a path on this server; it is sent once the server listens")
	}
	return p, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// splitRecords accepts one JSON object or an array of objects.
func splitRecords(raw json.RawMessage) ([][]byte, error) {
	i := skipWS(raw, 0)
	if i >= len(raw) {
		return nil, errs.Invalid("records: expected a JSON object or an array of objects")
	}
	if raw[i] == '{' {
		if !json.Valid(raw) {
			return nil, errs.Invalid("records: not valid JSON")
		}
		return [][]byte{raw[i:]}, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, errs.Invalid("records: expected a JSON object or an array of objects: %v", err)
	}
	out := make([][]byte, len(arr))
	for k, r := range arr {
		j := skipWS(r, 0)
		if j >= len(r) || r[j] != '{' {
			return nil, errs.Invalid("records[%d]: expected a JSON object", k)
		}
		out[k] = r
	}
	return out, nil
}

// prettyJSON indents a JSON body for display, keeping key order.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// header helpers for the worker
func setHeaders(req *http.Request, hs [][2]string) {
	for _, h := range hs {
		req.Header.Set(h[0], h[1])
	}
}
