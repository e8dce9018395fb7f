package hooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Server callbacks: the host's own validation endpoint. Fusebox POSTs a
// batch of rows as JSON,
//
//	{"importer": "customers", "import": "imp_…", "metadata": {...},
//	 "rows": [{"row": 1, "values": {"email": "ada@example.com", "seats": 3}}]}
//
// (values typed as the records will be), signed with Standard Webhooks
// headers (webhook-id, webhook-timestamp, webhook-signature), and reads
//
//	{"rows": [{"row": 1, "errors": {"customer_id": "does not exist"},
//	           "warnings": {"seats": ["a lot", "check"]}, "values": {"plan": "pro"}}]}
//
// Rows left out of the answer have no findings.

// CallbackRow is one row sent.
type CallbackRow struct {
	Row    int64           `json:"row"`
	Values json.RawMessage `json:"values"`
}

// CallbackRequest is one batch.
type CallbackRequest struct {
	Importer string         `json:"importer"`
	Import   string         `json:"import"`
	Metadata map[string]any `json:"metadata"`
	Rows     []CallbackRow  `json:"rows"`
}

// CallbackAnswer is the endpoint's answer.
type CallbackAnswer struct {
	Rows []RowAnswer `json:"rows"`
}

// RowAnswer is what the endpoint said about one row.
type RowAnswer struct {
	Row      int64               `json:"row"`
	Errors   map[string]Messages `json:"errors,omitempty"`
	Warnings map[string]Messages `json:"warnings,omitempty"`
	Values   map[string]any      `json:"values,omitempty"`
}

// Messages is a message or a list of them.
type Messages []string

// UnmarshalJSON accepts "text" or ["text", ...].
func (m *Messages) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one != "" {
			*m = Messages{one}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a message or a list of messages, got %s", b)
	}
	*m = many
	return nil
}

// CallbackConfig is where and how to call.
type CallbackConfig struct {
	URL           string
	Timeout       time.Duration
	SigningSecret string // the NAME of an environment variable
}

// Caller calls validation endpoints. The composition root gives it the
// HTTP client (through the network guard), the signer (the relay's
// Standard Webhooks signature) and the secret lookup.
type Caller struct {
	Client    func(ctx context.Context) (*http.Client, error)
	Sign      func(secret, id string, ts time.Time, body []byte) (string, error)
	Secret    func(name string) (string, bool)
	UserAgent string
	// Backoff is the wait before each retry (default 250ms, 1s: three
	// attempts in all).
	Backoff []time.Duration
}

// ErrNoAnswer wraps every failure to get an answer.
var ErrNoAnswer = errors.New("your validation service did not answer")

// Call posts one batch, retrying timeouts, connection failures, 429 and
// 5xx answers; the error says what happened on the last attempt.
func (c *Caller) Call(ctx context.Context, cfg CallbackConfig, req CallbackRequest) (*CallbackAnswer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("callback: %w", err)
	}
	return c.CallBody(ctx, cfg, body)
}

// AppendRequestHead starts a request body: everything before the first
// row, {"importer":…,"import":…,"metadata":…,"rows":[ .
func AppendRequestHead(dst []byte, importer, imp string, metadata map[string]any) ([]byte, error) {
	md, err := json.Marshal(metadata)
	if err != nil {
		return nil, fmt.Errorf("callback: metadata: %w", err)
	}
	qi, _ := json.Marshal(importer)
	qm, _ := json.Marshal(imp)
	dst = append(dst, `{"importer":`...)
	dst = append(dst, qi...)
	dst = append(dst, `,"import":`...)
	dst = append(dst, qm...)
	dst = append(dst, `,"metadata":`...)
	dst = append(dst, md...)
	return append(dst, `,"rows":[`...), nil
}

// AppendRequestRow adds one row to a body begun by AppendRequestHead;
// values is the row's record, a JSON object; first says it is the
// batch's first row.
func AppendRequestRow(dst []byte, first bool, row int64, values []byte) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"row":`...)
	dst = strconv.AppendInt(dst, row, 10)
	dst = append(dst, `,"values":`...)
	dst = append(dst, values...)
	return append(dst, '}')
}

// AppendRequestEnd closes a body.
func AppendRequestEnd(dst []byte) []byte { return append(dst, "]}"...) }

// CallBody posts one batch already encoded as a request body (see
// AppendRequestHead), with Call's retries.
func (c *Caller) CallBody(ctx context.Context, cfg CallbackConfig, body []byte) (*CallbackAnswer, error) {
	var secret string
	if cfg.SigningSecret != "" {
		v, ok := c.Secret(cfg.SigningSecret)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: its signing secret %s is not set in the environment", ErrNoAnswer, cfg.SigningSecret)
		}
		secret = v
	}
	client, err := c.Client(ctx)
	if err != nil {
		return nil, fmt.Errorf("callback: %w", err)
	}
	var idb [12]byte
	_, _ = rand.Read(idb[:])
	id := "msg_" + hex.EncodeToString(idb[:])
	backoff := c.Backoff
	if backoff == nil {
		backoff = []time.Duration{250 * time.Millisecond, time.Second}
	}
	var last error
	for attempt := 0; attempt <= len(backoff); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(backoff[attempt-1]):
			}
		}
		ans, retry, err := c.once(ctx, client, cfg, id, secret, body)
		if err == nil {
			return ans, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoAnswer, last)
}

func (c *Caller) once(ctx context.Context, client *http.Client, cfg CallbackConfig, id, secret string, body []byte) (*CallbackAnswer, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	now := time.Now()
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("webhook-id", id)
	r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	if c.UserAgent != "" {
		r.Header.Set("User-Agent", c.UserAgent)
	}
	if secret != "" {
		sig, err := c.Sign(secret, id, now, body)
		if err != nil {
			return nil, false, fmt.Errorf("signing: %v", err)
		}
		r.Header.Set("webhook-signature", sig)
	}
	res, err := client.Do(r)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, true, fmt.Errorf("no answer within %s", cfg.Timeout)
		}
		// The error names the request's address, which may carry a key
		// (a query parameter, a path token); the end user's importer
		// shows this error: keep only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, true, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, true, fmt.Errorf("reading the answer: %v", err)
	}
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
		return nil, true, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, false, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	var ans CallbackAnswer
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &ans); err != nil {
			return nil, false, fmt.Errorf("the answer is not {\"rows\": [...]}: %v", err)
		}
	}
	return &ans, false, nil
}
