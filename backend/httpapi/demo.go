package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"fusebox/backend/errs"
)

// The demo host app (/demo) plays a customer's web app. Its backend is the
// few routes below, written the way the seed's server-side samples are:
// they call Fusebox's public API with the workspace's demo secret key —
// a real HTTP request to this server's own address — and never hand the
// secret key to the browser. The page (frontend/src/demo) calls them.
//
//	GET  /demo/api/config    importers to try, the demo publishable key
//	                         (for the client-side session button)
//	POST /demo/api/session   {importer_slug, user_id} -> {token, expires_at}:
//	                         POST /api/v1/importer/sessions with metadata {user_id}
//	GET  /demo/api/imports   ?user_id=&page= -> GET /api/v1/imports?metadata[user_id]=
func (s *Server) bindDemo(mux *http.ServeMux) {
	if s.deps.Sessions == nil || s.deps.Importer == nil {
		return
	}
	mux.HandleFunc("GET /demo/api/config", s.demoConfig)
	mux.HandleFunc("POST /demo/api/session", s.demoSession)
	mux.HandleFunc("GET /demo/api/imports", s.demoImports)
}

// demoUserID is what the demo accepts as its signed-in user's id.
var demoUserID = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// demoUser returns the demo user's id (default 123, like the seed).
func demoUser(v string) (string, error) {
	if v == "" {
		return "123", nil
	}
	if !demoUserID.MatchString(v) {
		return "", errs.Invalid("user_id %q: use 1-64 letters, digits or _ . @ -", v)
	}
	return v, nil
}

type demoImporter struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (s *Server) demoConfig(w http.ResponseWriter, r *http.Request) {
	keys, err := s.deps.Sessions.DemoKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.deps.Importer.ListImporters(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	imps := make([]demoImporter, len(list))
	for i, imp := range list {
		imps[i] = demoImporter{Slug: imp.Slug, Name: imp.Name}
	}
	pk := ""
	if keys.PublishableActive {
		pk = keys.Publishable // publishable: made to be shown in a browser page
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, map[string]any{
		"importers":       imps,
		"publishable_key": pk,
		"base_url":        baseURL(r),
		"user_id":         "123",
	})
}

func (s *Server) demoSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ImporterSlug string `json:"importer_slug"`
		UserID       string `json:"user_id"`
	}
	if err := decodeJSON(w, r, &body, 4<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	uid, err := demoUser(body.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var userID any = uid
	if n, err := strconv.ParseInt(uid, 10, 64); err == nil && strconv.FormatInt(n, 10) == uid {
		userID = n // a number, as in the seed's `metadata: { user_id: 123 }`
	}
	payload, _ := json.Marshal(map[string]any{"importer_slug": body.ImporterSlug, "metadata": map[string]any{"user_id": userID}})
	s.demoCall(w, r, http.MethodPost, "/api/v1/importer/sessions", payload)
}

func (s *Server) demoImports(w http.ResponseWriter, r *http.Request) {
	uid, err := demoUser(r.URL.Query().Get("user_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := url.Values{}
	q.Set("metadata[user_id]", uid)
	q.Set("per_page", "20")
	if p := r.URL.Query().Get("page"); p != "" {
		q.Set("page", p)
	}
	s.demoCall(w, r, http.MethodGet, "/api/v1/imports?"+q.Encode(), nil)
}

// demoCall sends a request to this server's public API with the demo
// secret key and relays the answer (status and JSON body). On the port it
// is a real HTTP request to the address the page came from; through the
// desktop window, which has no address, the same routes answer in-process.
func (s *Server) demoCall(w http.ResponseWriter, r *http.Request, method, path string, body []byte) {
	keys, err := s.deps.Sessions.DemoKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !keys.SecretActive {
		s.writeError(w, r, errs.Forbidden("the demo secret key is deactivated; activate a demo key or create sessions with your own key"))
		return
	}
	status, out, err := s.callSelf(r, method, path, keys.Secret, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func (s *Server) callSelf(r *http.Request, method, path, key string, body []byte) (int, []byte, error) {
	// A request of its own (not the page's context: no door, no cancellation).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if doorOf(r.Context()) == doorPort {
		req, err := http.NewRequestWithContext(ctx, method, baseURL(r)+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, fmt.Errorf("demo: build request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		client := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, errs.E(errs.EUNAVAILABLE, "demo backend: cannot reach %s: %v", baseURL(r), err)
		}
		defer res.Body.Close()
		out, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
		if err != nil {
			return 0, nil, fmt.Errorf("demo: read answer: %w", err)
		}
		return res.StatusCode, out, nil
	}
	req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), nil
}
