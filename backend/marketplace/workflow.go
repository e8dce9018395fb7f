package marketplace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"fusebox/backend/netguard"
	"fusebox/backend/store"
)

// workers is how many install workflows run at once.
const workers = 4

// Worker runs queued install workflows until ctx ends. Installs left
// running by a previous process are marked failed first.
func (s *Service) Worker(ctx context.Context) {
	if err := s.failInterrupted(ctx); err != nil {
		s.log.ErrorContext(ctx, "marketplace: mark interrupted installs", "err", err)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.jobs:
					s.run(ctx, j)
				}
			}
		}()
	}
	wg.Wait()
}

func (s *Service) failInterrupted(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		before := store.FormatTime(s.started)
		now := s.stamp()
		if _, err := tx.ExecContext(ctx, `UPDATE marketplace_install_steps SET status = 'skipped', finished_at = ? WHERE status IN ('pending', 'running')
			AND install_id IN (SELECT id FROM marketplace_installs WHERE status = 'running' AND created_at < ?)`, now, before); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE marketplace_installs SET status = 'failed', error = 'interrupted: Fusebox stopped while the workflow ran; install it again', updated_at = ?
			WHERE status = 'running' AND created_at < ?`, now, before)
		return err
	})
}

// run executes a job's workflow step by step, recording each result. A
// failed step fails the install, skips the rest and deletes the relay
// route an earlier step created.
func (s *Service) run(ctx context.Context, j *job) {
	vars := map[string]string{
		"user.externalId": j.user.ExternalID, "user.email": j.user.Email, "user.firstname": j.user.Firstname, "user.lastname": j.user.Lastname,
		"install.id": j.install.ID, "install.name": j.install.Name, "listing.id": j.listing.ID, "fusebox.base_url": strings.TrimRight(j.baseURL, "/"),
	}
	for k, v := range j.values {
		vars["config."+k] = v
	}
	redact := func(s string) string {
		for _, sec := range j.secrets {
			s = strings.ReplaceAll(s, sec, "••••")
		}
		return s
	}
	destination := ""
	for i, st := range j.listing.Workflow {
		if ctx.Err() != nil {
			s.finishSteps(j.install.ID, i, "skipped", "")
			s.finishInstall(context.WithoutCancel(ctx), j, StatusFailed, "interrupted: Fusebox stopped while the workflow ran; install it again")
			return
		}
		s.setStep(ctx, j.install.ID, i, "running", "", true)
		detail, dest, err := s.runStep(ctx, j, st, vars)
		if dest != "" {
			destination = dest
			if _, e := s.db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET destination_id = ?, updated_at = ? WHERE id = ?`, dest, s.stamp(), j.install.ID); e != nil {
				s.log.ErrorContext(ctx, "marketplace: record destination", "install", j.install.ID, "err", e)
			}
		}
		if err != nil {
			msg := redact(err.Error())
			s.setStep(ctx, j.install.ID, i, "failed", msg, false)
			s.finishSteps(j.install.ID, i+1, "skipped", "")
			reason := fmt.Sprintf("step %d “%s” failed: %s", i+1, st.Name, msg)
			if destination != "" {
				if s.routes != nil {
					if e := s.routes.DeleteUserRoute(context.WithoutCancel(ctx), destination); e != nil {
						reason += fmt.Sprintf(" (and the relay route %s it created could not be deleted: %v)", destination, e)
					} else if _, e := s.db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET destination_id = '' WHERE id = ?`, j.install.ID); e != nil {
						s.log.ErrorContext(ctx, "marketplace: clear destination", "install", j.install.ID, "err", e)
					}
				}
			}
			s.finishInstall(context.WithoutCancel(ctx), j, StatusFailed, reason)
			return
		}
		s.setStep(ctx, j.install.ID, i, "ok", redact(detail), false)
	}
	s.finishInstall(ctx, j, StatusInstalled, "")
}

func (s *Service) setStep(ctx context.Context, installID string, pos int, status, detail string, start bool) {
	col := "finished_at"
	if start {
		col = "started_at"
	}
	_, err := s.db.Write.ExecContext(context.WithoutCancel(ctx), `UPDATE marketplace_install_steps SET status = ?, detail = ?, `+col+` = ? WHERE install_id = ? AND position = ?`,
		status, detail, s.stamp(), installID, pos)
	if err != nil {
		s.log.ErrorContext(ctx, "marketplace: record step", "install", installID, "step", pos, "err", err)
	}
}

func (s *Service) finishSteps(installID string, from int, status, detail string) {
	_, err := s.db.Write.ExecContext(context.Background(), `UPDATE marketplace_install_steps SET status = ?, detail = ?, finished_at = ? WHERE install_id = ? AND position >= ? AND status = 'pending'`,
		status, detail, s.stamp(), installID, from)
	if err != nil {
		s.log.Error("marketplace: record skipped steps", "install", installID, "err", err)
	}
}

func (s *Service) finishInstall(ctx context.Context, j *job, status, reason string) {
	if status == StatusFailed {
		s.finishSteps(j.install.ID, 0, "skipped", "")
	}
	_, err := s.db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET status = ?, error = ?, updated_at = ? WHERE id = ?`, status, reason, s.stamp(), j.install.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "marketplace: finish install", "install", j.install.ID, "err", err)
		return
	}
	s.log.InfoContext(ctx, "marketplace install finished", "install", j.install.ID, "listing", j.listing.ID, "end_user", j.user.ID, "status", status)
}

// render replaces the {{...}} placeholders of t with vars. Unknown names
// were refused when the listing was saved; a config field left empty
// renders as "".
func render(t string, vars map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(t, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-2])
		return vars[name]
	})
}

func renderAny(v any, vars map[string]string) any {
	switch t := v.(type) {
	case string:
		return render(t, vars)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = renderAny(x, vars)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = renderAny(x, vars)
		}
		return out
	}
	return v
}

// runStep executes one step and returns its detail line, and the relay
// destination a relay_route step created.
func (s *Service) runStep(ctx context.Context, j *job, st Step, vars map[string]string) (string, string, error) {
	switch st.Kind {
	case StepNotify:
		return render(st.Message, vars), "", nil
	case StepRelayRoute:
		u, headers, err := routeRequest(j, st, vars)
		if err != nil {
			return "", "", err
		}
		if s.routes == nil {
			return "", "", fmt.Errorf("relay not available: this Fusebox has no relay connected, so no route to %s could be created", u)
		}
		dest, err := s.routes.CreateUserRoute(ctx, RouteSpec{OwnerID: j.user.ID, ExternalID: j.user.ExternalID, Importer: st.Importer, ListingID: j.listing.ID, InstallID: j.install.ID,
			Name: j.install.Name, URL: u, Method: st.Method, Headers: headers, UserHost: userHost(st.URL)})
		if err != nil {
			return "", "", fmt.Errorf("the relay refused the route: %w", err)
		}
		return fmt.Sprintf("created relay destination %s: %s %s", dest, st.Method, u), dest, nil
	case StepHTTPRequest:
		if s.sent != nil {
			for _, f := range j.listing.ConfigFields {
				if v := j.values[f.Name]; f.Secret && v != "" {
					s.sent.RememberSentSecret(v, f.Name)
				}
			}
		}
		return s.httpStep(ctx, st, vars)
	}
	return "", "", fmt.Errorf("unknown step kind %q", st.Kind)
}

// routeRequest fills the URL and headers of a relay_route step. Secret
// config fields are not filled in: they become {{ install_secret "FIELD" }}
// references that the relay resolves at send time through InstallSecret,
// so the relay never stores an install's credentials.
func routeRequest(j *job, st Step, vars map[string]string) (string, map[string]string, error) {
	ref := make(map[string]string, len(vars))
	maps.Copy(ref, vars)
	sentinel := map[string]string{}
	urlVars := make(map[string]string, len(vars))
	maps.Copy(urlVars, vars)
	for _, f := range j.listing.ConfigFields {
		if !f.Secret {
			continue
		}
		k := "config." + f.Name
		ref[k] = fmt.Sprintf(`{{ install_secret %q }}`, f.Name)
		// A marker that URL escaping keeps as it is, swapped for the
		// reference once the URL is checked.
		mark := "fbx-install-secret-" + f.Name + "-fbx"
		urlVars[k] = mark
		sentinel[mark] = ref[k]
	}
	u, err := stepURL(st.URL, urlVars)
	if err != nil {
		return "", nil, err
	}
	for mark, r := range sentinel {
		u = strings.ReplaceAll(u, mark, r)
	}
	headers := map[string]string{}
	for k, v := range st.Headers {
		headers[k] = render(v, ref)
	}
	return u, headers, nil
}

// renderURL fills a URL template. A placeholder at the very start (such
// as {{fusebox.base_url}} or a whole-URL config field) is used as is;
// later values are escaped for the path, or for the query after "?", so a
// user's value cannot change the host or add path segments (stepURL then
// refuses values that read as . or .., which escaping leaves alone).
func renderURL(t string, vars map[string]string) string {
	var b strings.Builder
	last := 0
	inQuery := false
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(t, -1) {
		lit := t[last:m[0]]
		if strings.Contains(lit, "?") {
			inQuery = true
		}
		b.WriteString(lit)
		v := vars[strings.TrimSpace(t[m[2]:m[3]])]
		switch {
		case m[0] == 0:
			b.WriteString(v)
			if strings.Contains(v, "?") {
				inQuery = true
			}
		case inQuery:
			b.WriteString(url.QueryEscape(v))
		default:
			b.WriteString(url.PathEscape(v))
		}
		last = m[1]
	}
	b.WriteString(t[last:])
	return b.String()
}

// userHost reports whether an end user's value can decide the scheme or
// host of URL template t: a placeholder other than {{fusebox.base_url}}
// (the server's own address) before the end of the authority. Values
// after the authority are escaped for the path or query (renderURL), so
// they cannot move the request to another host.
func userHost(t string) bool {
	const user = "\x00"
	probe := placeholderRe.ReplaceAllStringFunc(t, func(m string) string {
		if strings.TrimSpace(m[2:len(m)-2]) == "fusebox.base_url" {
			return "http://fusebox.base.url"
		}
		return user
	})
	i := strings.Index(probe, "://")
	if i < 0 || strings.Contains(probe[:i], user) {
		return true
	}
	rest := probe[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	return strings.Contains(rest, user)
}

func stepURL(t string, vars map[string]string) (string, error) {
	raw := renderURL(t, vars)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the URL %q is not an absolute http(s) URL", raw)
	}
	if err := checkDotSegments(u.EscapedPath()); err != nil {
		return "", fmt.Errorf("the URL %q: %w", raw, err)
	}
	return u.String(), nil
}

// maxPathDecodes bounds the layers of percent-encoding checkDotSegments
// peels off a step URL's path.
const maxPathDecodes = 4

// checkDotSegments refuses a path with a segment that is, or that a
// lenient receiver may read as, "." or ".." (netguard.LenientDotSegment),
// at every layer of percent-decoding: a value such as "..", "..;" or
// "%2e%2e" cannot move a request up the path the template chose.
func checkDotSegments(escaped string) error {
	layer := escaped
	for round := 0; ; round++ {
		for _, seg := range strings.Split(layer, "/") {
			if netguard.LenientDotSegment(seg) {
				return errors.New("a value may not be . or .. (or read as one) in the URL's path; refused")
			}
		}
		next, err := url.PathUnescape(layer)
		if err != nil || next == layer {
			return nil
		}
		if round >= maxPathDecodes {
			return fmt.Errorf("the path is percent-encoded more than %d times; refused", maxPathDecodes)
		}
		layer = next
	}
}

func (s *Service) httpStep(ctx context.Context, st Step, vars map[string]string) (string, string, error) {
	u, err := stepURL(st.URL, vars)
	if err != nil {
		return "", "", err
	}
	timeout := 15 * time.Second
	if st.Timeout != "" {
		if d, err := time.ParseDuration(st.Timeout); err == nil {
			timeout = d
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	contentType := ""
	switch b := st.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(render(b, vars))
		contentType = "text/plain; charset=utf-8"
	default:
		enc, err := json.Marshal(renderAny(b, vars))
		if err != nil {
			return "", "", fmt.Errorf("encode body: %w", err)
		}
		body = bytes.NewReader(enc)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, st.Method, u, body)
	if err != nil {
		return "", "", fmt.Errorf("build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "Fusebox-Marketplace/1")
	for k, v := range st.Headers {
		req.Header.Set(k, render(v, vars))
	}
	client := s.client
	if userHost(st.URL) {
		// The host came from an end user: connect only where the network
		// guard allows (checked on the resolved address at connect time).
		set, err := s.readSettings(ctx)
		if err != nil {
			return "", "", err
		}
		client = netguard.New(set.AllowedHosts).Client()
		defer client.CloseIdleConnections()
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		var blocked *netguard.BlockedError
		if errors.As(err, &blocked) {
			// The end user sees that the host is refused, never the address
			// it resolved to (else the server would resolve internal names
			// for anyone); the admin log keeps the detail.
			s.log.WarnContext(ctx, "marketplace: step connection refused", "install", installIDOf(vars), "url", u, "detail", blocked.Error())
			return "", "", fmt.Errorf("%s %s: refused: %s is not a public address", st.Method, u, req.URL.Hostname())
		}
		return "", "", fmt.Errorf("%s %s: %v", st.Method, u, unwrapURLErr(err))
	}
	defer res.Body.Close()
	// The end user sees the outcome, never the response body: a body
	// could carry whatever the URL pointed at.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	line := fmt.Sprintf("%s %s → %s in %d ms", st.Method, u, res.Status, time.Since(start).Milliseconds())
	if !statusExpected(res.StatusCode, st.ExpectStatus) {
		want := "2xx"
		if len(st.ExpectStatus) > 0 {
			want = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(st.ExpectStatus)), ", "), "[]")
		}
		return "", "", fmt.Errorf("%s (expected %s)", line, want)
	}
	return line, "", nil
}

func installIDOf(vars map[string]string) string { return vars["install.id"] }

func unwrapURLErr(err error) error {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return ue.Err
	}
	return err
}

func statusExpected(code int, want []int) bool {
	if len(want) == 0 {
		return code >= 200 && code < 300
	}
	for _, w := range want {
		if w == code {
			return true
		}
	}
	return false
}
