package marketplace

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fusebox/backend/errs"
)

// Check is one line of a token inspection.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | failed | skipped
	Detail string `json:"detail"`
}

// Report explains a token: the verdict of the real verification and each
// check on its own, so every problem shows, not only the first.
type Report struct {
	Valid    bool           `json:"valid"`
	Verdict  string         `json:"verdict"`
	Code     string         `json:"code,omitempty"`
	Check    string         `json:"check,omitempty"`
	Header   map[string]any `json:"header"`
	Claims   map[string]any `json:"claims"`
	SecretID string         `json:"secret_id,omitempty"`
	Plan     string         `json:"plan,omitempty"`
	PlanNote string         `json:"plan_note,omitempty"`
	Checks   []Check        `json:"checks"`
}

// Inspect verifies raw as a login would (without spending its jti) and
// lists what each check found.
func (s *Service) Inspect(ctx context.Context, raw string) (Report, error) {
	raw = strings.TrimSpace(raw)
	v, err := s.Verifier(ctx)
	if err != nil {
		return Report{}, err
	}
	r := Report{Header: map[string]any{}, Claims: map[string]any{}, Checks: []Check{}}
	ver, verr := s.Verify(ctx, raw)
	if verr == nil {
		r.Valid, r.Verdict, r.SecretID = true, "accepted: this token logs in end user "+string(ver.Claims.User.ExternalID), ver.SecretID
		plan, found, err := planFor(ctx, s.db.Read, ver.Claims.User.MonetizationPlan)
		if err != nil {
			return Report{}, err
		}
		r.Plan = plan.Name
		if ver.Claims.User.MonetizationPlan != "" && !found {
			r.PlanNote = fmt.Sprintf("monetizationPlan %q is not a plan of this marketplace; the default plan %q applies", ver.Claims.User.MonetizationPlan, plan.Name)
		}
	} else {
		te, ok := AsTokenError(verr)
		if !ok {
			return Report{}, verr
		}
		r.Verdict, r.Code, r.Check = "rejected: "+te.Reason, errs.Code(verr), te.Check
	}
	r.Checks = s.checks(ctx, v, raw, &r)
	return r, nil
}

// checks runs each check independently on the unverified token.
func (s *Service) checks(ctx context.Context, v Verifier, raw string, r *Report) []Check {
	var out []Check
	add := func(name string, ok bool, format string, args ...any) {
		st := "ok"
		if !ok {
			st = "failed"
		}
		out = append(out, Check{Name: name, Status: st, Detail: fmt.Sprintf(format, args...)})
	}
	skip := func(name, why string) { out = append(out, Check{Name: name, Status: "skipped", Detail: why}) }

	add("size", len(raw) <= DefaultMaxTokenBytes, "%d bytes (limit %d)", len(raw), DefaultMaxTokenBytes)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		add("format", false, "%d part(s); a JWT has three base64url parts separated by dots", len(parts))
		return out
	}
	hb, herr := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	pb, perr := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	sig, serr := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	switch {
	case herr != nil:
		add("format", false, "the header is not base64url (unpadded): %v", herr)
	case perr != nil:
		add("format", false, "the payload is not base64url (unpadded): %v", perr)
	case serr != nil:
		add("format", false, "the signature is not base64url (unpadded): %v", serr)
	case json.Unmarshal(hb, &r.Header) != nil:
		add("format", false, "the header is not a JSON object")
	case json.Unmarshal(pb, &r.Claims) != nil:
		add("format", false, "the payload is not a JSON object")
	default:
		add("format", true, "three base64url parts; header and payload are JSON objects")
	}
	if len(out) > 0 && out[len(out)-1].Status == "failed" {
		return out
	}
	alg, _ := r.Header["alg"].(string)
	add("algorithm", alg == "HS256", "alg %q (only HS256 is accepted)", alg)
	if crit, ok := r.Header["crit"]; ok {
		add("crit", false, "crit %v: no critical extensions are understood", crit)
	} else {
		add("crit", true, "no crit header")
	}

	signing := parts[0] + "." + parts[1]
	kid, hasKid := r.Header["kid"].(string)
	matched := ""
	for _, k := range v.active {
		if hmac.Equal(hs256(k.secret, signing), sig) {
			matched = k.id
		}
	}
	inactive := ""
	for _, k := range v.inactive {
		if hmac.Equal(hs256(k.secret, signing), sig) {
			inactive = k.id
		}
	}
	switch {
	case alg != "HS256":
		skip("signature", "not checked: the algorithm is not HS256")
	case matched != "" && (!hasKid || kid == matched):
		add("signature", true, "matches active API secret %s", matched)
	case matched != "":
		add("signature", false, "matches active API secret %s, but the kid header names %q", matched, kid)
	case inactive != "":
		add("signature", false, "matches API secret %s, which is deactivated", inactive)
	case len(v.active) == 0:
		add("signature", false, "there is no active API secret to verify with")
	default:
		add("signature", false, "matches none of the %d active API secret(s): signed with another secret, or changed after signing", len(v.active))
	}

	now := v.Now()
	num := func(name string) (time.Time, bool, bool) {
		x, present := r.Claims[name]
		f, ok := x.(float64)
		return time.Unix(int64(f), 0), present, ok
	}
	exp, hasExp, expOK := num("exp")
	switch {
	case !hasExp:
		add("exp", false, "missing: exp is required")
	case !expOK:
		add("exp", false, "exp must be a number of epoch seconds")
	case now.After(exp.Add(v.Leeway)):
		add("exp", false, "expired at %s, %s ago (leeway %s)", exp.UTC().Format(time.RFC3339), roundDur(now.Sub(exp)), secs(v.Leeway))
	default:
		add("exp", true, "expires at %s, in %s", exp.UTC().Format(time.RFC3339), roundDur(exp.Sub(now)))
	}
	if nbf, has, ok := num("nbf"); has {
		switch {
		case !ok:
			add("nbf", false, "nbf must be a number of epoch seconds")
		case nbf.After(now.Add(v.Leeway)):
			add("nbf", false, "not valid before %s, %s from now (leeway %s)", nbf.UTC().Format(time.RFC3339), roundDur(nbf.Sub(now)), secs(v.Leeway))
		default:
			add("nbf", true, "valid since %s", nbf.UTC().Format(time.RFC3339))
		}
	} else {
		add("nbf", true, "absent (optional)")
	}
	iat, hasIat, iatOK := num("iat")
	switch {
	case !hasIat:
		add("iat", true, "absent (optional)")
	case !iatOK:
		add("iat", false, "iat must be a number of epoch seconds")
	case iat.After(now.Add(v.Leeway)):
		add("iat", false, "issued in the future: %s, %s from now (leeway %s)", iat.UTC().Format(time.RFC3339), roundDur(iat.Sub(now)), secs(v.Leeway))
	default:
		add("iat", true, "issued at %s", iat.UTC().Format(time.RFC3339))
	}
	if hasExp && expOK {
		if hasIat && iatOK {
			life := exp.Sub(iat)
			add("lifetime", life <= v.MaxLifetime, "exp - iat = %s (max %s)", life, v.MaxLifetime)
		} else {
			ahead := exp.Sub(now)
			add("lifetime", ahead <= v.MaxLifetime+v.Leeway, "no iat; exp is %s from now (max %s)", roundDur(ahead), v.MaxLifetime)
		}
	}
	if aud, ok := r.Claims["aud"]; ok {
		add("audience", audienceOK(aud), "aud %v (allowed: none, or %q)", aud, Audience)
	} else {
		add("audience", true, "no aud (as in the seed)")
	}
	org := fmt.Sprint(r.Claims["orgId"])
	switch _, has := r.Claims["orgId"]; {
	case !has:
		add("orgId", false, "missing; this marketplace's org id is %q", v.OrgID)
	case org != v.OrgID:
		add("orgId", false, "%q is not this marketplace's org id %q", org, v.OrgID)
	default:
		add("orgId", true, "%q", org)
	}
	user, _ := r.Claims["user"].(map[string]any)
	ext := ""
	if user != nil {
		if x, ok := user["externalId"]; ok && x != nil {
			ext = fmt.Sprint(x)
		}
	}
	switch {
	case user == nil:
		add("user", false, "the user object is missing")
	case strings.TrimSpace(ext) == "":
		add("user", false, "user.externalId is missing or empty")
	default:
		add("user", true, "externalId %q", ext)
	}
	if user != nil {
		if p, ok := user["monetizationPlan"].(string); ok && p != "" {
			plan, found, err := planFor(ctx, s.db.Read, p)
			switch {
			case err != nil:
				add("plan", false, "%v", err)
			case found:
				add("plan", true, "plan %q", plan.Name)
			default:
				add("plan", true, "%q is not a plan; the default plan %q applies (recorded at login)", p, plan.Name)
			}
		} else {
			add("plan", true, "no monetizationPlan: the default plan applies")
		}
	}
	if jti, ok := r.Claims["jti"].(string); ok && jti != "" {
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM marketplace_used_jti WHERE jti = ?`, jti).Scan(&n); err != nil {
			add("jti", false, "cannot check: %v", err)
		} else {
			add("jti", n == 0, map[bool]string{true: "%q not used yet (single use)", false: "%q was already used"}[n == 0], jti)
		}
	} else {
		add("jti", true, "no jti: the link can be used until it expires")
	}
	return out
}

func audienceOK(aud any) bool {
	switch a := aud.(type) {
	case string:
		return a == Audience
	case []any:
		for _, x := range a {
			if x == Audience {
				return true
			}
		}
	}
	return false
}
