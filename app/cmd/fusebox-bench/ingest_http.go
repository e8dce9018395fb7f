package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"fusebox/app"
	"fusebox/backend/importer"
	"fusebox/backend/sessions"
)

// ingestHTTP is the embed's side of the ingest benchmark: an importer
// session token and the loopback base URL of the real HTTP handler.
type ingestHTTP struct {
	ctx    context.Context
	base   string
	token  string
	client *http.Client
}

// newIngestHTTP creates a secret API key and an importer session for
// importer "bench" over HTTP, as a host app's backend would.
func newIngestHTTP(ctx context.Context, a *app.App, base string) (*ingestHTTP, error) {
	key, err := a.Sessions.CreateKey(ctx, sessions.NewKey{Name: "bench", Kind: sessions.KindSecret})
	if err != nil {
		return nil, err
	}
	h := &ingestHTTP{ctx: ctx, base: base, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}}
	var sess struct {
		Token string `json:"token"`
	}
	h.token = key.Secret
	if err := h.call(http.MethodPost, "/api/v1/importer/sessions", "application/json", bytes.NewBufferString(`{"importer_slug":"bench"}`), 201, &sess); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if sess.Token == "" {
		return nil, fmt.Errorf("create session: no token in the answer")
	}
	h.token = sess.Token
	return h, nil
}

// call sends one request with the token and decodes a JSON answer into
// out (nil: discarded); an answer other than want is an error.
func (h *ingestHTTP) call(method, path, contentType string, body io.Reader, want int, out any) error {
	req, err := http.NewRequestWithContext(h.ctx, method, h.base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	res, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// httpJob is the timings of one import taken from upload to review-ready
// through the HTTP handler.
type httpJob struct {
	slug                          string
	upload, mapping, stage, whole time.Duration
	rows, errorRows               int64
}

// wholeJobHTTP takes the file through the embed's calls: create the import,
// PUT the file (copy to uploads/ + SHA-256 + header detection and preview),
// GET the mapping suggestions, PUT the suggested mapping (starts staging),
// then poll the progress until staging is done. whole runs from the start
// of the upload to the poll that sees staging done (every 20ms).
func (h *ingestHTTP) wholeJobHTTP(csvPath string, size int64) (httpJob, error) {
	var imp struct {
		Slug string `json:"slug"`
	}
	if err := h.call(http.MethodPost, "/api/importer/imports", "", nil, 201, &imp); err != nil {
		return httpJob{}, fmt.Errorf("create import: %w", err)
	}
	j := httpJob{slug: imp.Slug}
	p := "/api/importer/imports/" + url.PathEscape(imp.Slug)
	f, err := os.Open(csvPath)
	if err != nil {
		return j, err
	}
	defer f.Close()

	start := time.Now()
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPut, h.base+p+"/file?name=bench.csv", f)
	if err != nil {
		return j, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+h.token)
	res, err := h.client.Do(req)
	if err != nil {
		return j, fmt.Errorf("upload: %w", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return j, fmt.Errorf("upload: HTTP %d: %.300s", res.StatusCode, b)
	}
	j.upload = time.Since(start)

	t0 := time.Now()
	var mv importer.MappingView
	if err := h.call(http.MethodGet, p+"/mapping", "", nil, 200, &mv); err != nil {
		return j, fmt.Errorf("mapping: %w", err)
	}
	j.mapping = time.Since(t0)
	m, err := json.Marshal(mv.Suggestions.Mapping())
	if err != nil {
		return j, err
	}

	t0 = time.Now()
	if err := h.call(http.MethodPut, p+"/mapping", "application/json", bytes.NewReader(m), 202, nil); err != nil {
		return j, fmt.Errorf("confirm mapping: %w", err)
	}
	for {
		var pr importer.Progress
		if err := h.call(http.MethodGet, p+"/progress", "", nil, 200, &pr); err != nil {
			return j, fmt.Errorf("progress: %w", err)
		}
		if pr.Done {
			if pr.Error != "" {
				return j, fmt.Errorf("staging failed: %s", pr.Error)
			}
			break
		}
		select {
		case <-h.ctx.Done():
			return j, h.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	now := time.Now()
	j.stage, j.whole = now.Sub(t0), now.Sub(start)

	var sum struct {
		Rows      int64 `json:"rows"`
		ErrorRows int64 `json:"error_rows"`
	}
	if err := h.call(http.MethodGet, p+"/summary", "", nil, 200, &sum); err != nil {
		return j, fmt.Errorf("summary: %w", err)
	}
	j.rows, j.errorRows = sum.Rows, sum.ErrorRows
	return j, nil
}

// rows fetches one review page over HTTP and returns its row count and
// the total the page reports.
func (h *ingestHTTP) rows(slug string, q url.Values) (n int, total int64, err error) {
	var pg struct {
		Rows  []json.RawMessage `json:"rows"`
		Total int64             `json:"total"`
	}
	err = h.call(http.MethodGet, "/api/importer/imports/"+url.PathEscape(slug)+"/rows?"+q.Encode(), "", nil, 200, &pg)
	return len(pg.Rows), pg.Total, err
}

func pageQuery(offset, limit int) url.Values {
	return url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
}
