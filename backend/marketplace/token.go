package marketplace

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/errs"
)

// Audience is the only aud a marketplace token may carry (it usually has
// none, as in the seed). Importer session tokens carry
// "fusebox:importer-session" and are refused here, besides being signed
// with other keys.
const Audience = "fusebox:marketplace"

// DefaultMaxTokenBytes caps the size of a signed-link token.
const DefaultMaxTokenBytes = 8 << 10

// Claims are the claims of a signed-link token, exactly as the APIFuse
// seed defines them: iat, exp, nbf, orgId, user{...}, connection{...}.
type Claims struct {
	jwt.RegisteredClaims
	OrgID      FlexString     `json:"orgId"`
	User       *UserClaims    `json:"user,omitempty"`
	Connection map[string]any `json:"connection,omitempty"`
}

// UserClaims identify the end user in the host app.
type UserClaims struct {
	ExternalID       FlexString `json:"externalId"`
	Firstname        string     `json:"firstname,omitempty"`
	Lastname         string     `json:"lastname,omitempty"`
	Email            string     `json:"email,omitempty"`
	MonetizationPlan string     `json:"monetizationPlan,omitempty"`
}

// FlexString is a claim that hosts send as a string or as a number (an id
// from their database); it is kept as text.
type FlexString string

func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = FlexString(n.String())
	case string(b) == "null":
		*f = ""
	default:
		return errors.New("must be a string or a number")
	}
	return nil
}

// TokenError says why a token was rejected: Check names the check that
// failed (size, format, algorithm, crit, key, signature, exp, nbf, iat,
// lifetime, audience, orgId, user, jti) and Reason explains it.
type TokenError struct {
	Check  string
	Reason string
}

func (e *TokenError) Error() string { return e.Reason }

// rejected wraps a TokenError into the coded error the HTTP layer maps:
// 413 for an oversized token, 401 for everything else.
func rejected(check, format string, args ...any) error {
	te := &TokenError{Check: check, Reason: fmt.Sprintf(format, args...)}
	code := errs.EUNAUTHORIZED
	if check == "size" {
		code = errs.ETOOLARGE
	}
	return &errs.Error{Code: code, Message: "signed-link token rejected: " + te.Reason, Err: te}
}

// AsTokenError returns the TokenError in err's chain.
func AsTokenError(err error) (*TokenError, bool) {
	var te *TokenError
	ok := errors.As(err, &te)
	return te, ok
}

// Verifier checks signed-link tokens. It is pure (no I/O), so it can be
// fuzzed; the Service builds one per request from the settings and the
// opened secrets.
type Verifier struct {
	OrgID       string
	Leeway      time.Duration
	MaxLifetime time.Duration
	MaxBytes    int
	Now         func() time.Time
	active      []key
	inactive    []key
}

// Verified is an accepted token.
type Verified struct {
	Claims   Claims
	SecretID string // the secret whose signature matched
}

// ExpiresAt is the token's exp.
func (v Verified) ExpiresAt() time.Time { return v.Claims.ExpiresAt.Time }

// Parse verifies raw: size, HS256 only, crit refused, kid honoured (else
// every active secret tried in constant time), exp required, nbf and iat
// with the leeway, lifetime cap, audience, orgId and user.externalId. jti
// single use is checked by Login, which has the store.
func (v Verifier) Parse(raw string) (Verified, error) {
	maxBytes := v.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxTokenBytes
	}
	if len(raw) > maxBytes {
		return Verified{}, rejected("size", "the token is %d bytes; the limit is %d bytes", len(raw), maxBytes)
	}
	if raw == "" {
		return Verified{}, rejected("format", "no token was sent")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	var claims Claims
	var matched string
	var keyErr error
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(v.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	tok, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			keyErr = rejected("crit", "the header has a crit parameter (%v); Fusebox understands no critical extensions", t.Header["crit"])
			return nil, keyErr
		}
		k, err := v.pickKey(raw, t)
		if err != nil {
			keyErr = err
			return nil, err
		}
		matched = k.id
		return k.secret, nil
	})
	if err != nil {
		if keyErr != nil {
			return Verified{}, keyErr
		}
		return Verified{}, v.explain(raw, tok, &claims, err, now())
	}
	if err := v.checkClaims(raw, &claims, now()); err != nil {
		return Verified{}, err
	}
	return Verified{Claims: claims, SecretID: matched}, nil
}

// pickKey finds the secret to verify with: the one the kid header names,
// else the active secret whose HMAC matches, computed for every secret so
// the time taken does not depend on which one matched.
func (v Verifier) pickKey(raw string, t *jwt.Token) (key, error) {
	if kv, ok := t.Header["kid"]; ok {
		kid, ok := kv.(string)
		if !ok {
			return key{}, rejected("key", "the kid header must be a string, not %T", kv)
		}
		for _, k := range v.active {
			if k.id == kid {
				return k, nil
			}
		}
		for _, k := range v.inactive {
			if k.id == kid {
				return key{}, rejected("key", "the kid header names API secret %s, which is deactivated", kid)
			}
		}
		return key{}, rejected("key", "the kid header %q names no API secret of this marketplace", kid)
	}
	if len(v.active) == 0 {
		return key{}, rejected("key", "this marketplace has no active API secret; create one with `fusebox marketplace secrets create` or in the console")
	}
	signing := raw[:strings.LastIndexByte(raw, '.')]
	match := -1
	for i, k := range v.active {
		eq := subtle.ConstantTimeCompare(hs256(k.secret, signing), t.Signature)
		first := subtle.ConstantTimeEq(int32(match), -1) & eq
		match = subtle.ConstantTimeSelect(first, i, match)
	}
	if match < 0 {
		return v.active[0], nil // the signature check that follows fails
	}
	return v.active[match], nil
}

func hs256(secret []byte, signing string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return mac.Sum(nil)
}

// explain turns a jwt library error into a rejection naming the check.
func (v Verifier) explain(raw string, tok *jwt.Token, claims *Claims, err error, now time.Time) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		if strings.Count(raw, ".") != 2 {
			return rejected("format", "a token has three base64url parts separated by dots; this one has %d", strings.Count(raw, ".")+1)
		}
		msg := strings.TrimPrefix(err.Error(), "token is malformed: ")
		return rejected("format", "the token is malformed: %s", msg)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		if tok != nil {
			if alg, ok := tok.Header["alg"].(string); ok {
				return rejected("algorithm", "the header's alg %q is not accepted; sign with HS256", alg)
			}
		}
		return rejected("algorithm", "the header has no alg; sign with HS256")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && tok.Method.Alg() != jwt.SigningMethodHS256.Alg() {
			return rejected("algorithm", "the header's alg %q is not accepted; sign with HS256", tok.Method.Alg())
		}
		if tok == nil {
			return rejected("signature", "the signature does not match any active API secret")
		}
		if kid, ok := tok.Header["kid"].(string); ok {
			return rejected("signature", "the signature does not match API secret %s named by kid (wrong secret, or the token was changed after signing)", kid)
		}
		if k, ok := v.matchInactive(raw, tok); ok {
			return rejected("signature", "the token is signed with API secret %s, which is deactivated", k)
		}
		return rejected("signature", "the signature does not match any active API secret (wrong secret, or the token was changed after signing)")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return rejected("exp", "the exp claim is required (epoch seconds when the token expires)")
	case errors.Is(err, jwt.ErrTokenExpired):
		exp := claims.ExpiresAt.Time
		return rejected("exp", "the token expired at %s, %s ago (leeway %s)", exp.UTC().Format(time.RFC3339), roundDur(now.Sub(exp)), secs(v.Leeway))
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		nbf := claims.NotBefore.Time
		return rejected("nbf", "the token is not valid before %s, %s from now (nbf; leeway %s)", nbf.UTC().Format(time.RFC3339), roundDur(nbf.Sub(now)), secs(v.Leeway))
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		iat := claims.IssuedAt.Time
		return rejected("iat", "the token was issued in the future: iat is %s, %s from now (leeway %s); check the signer's clock", iat.UTC().Format(time.RFC3339), roundDur(iat.Sub(now)), secs(v.Leeway))
	}
	return rejected("claims", "%v", err)
}

func (v Verifier) matchInactive(raw string, tok *jwt.Token) (string, bool) {
	i := strings.LastIndexByte(raw, '.')
	if tok == nil || i < 0 {
		return "", false
	}
	for _, k := range v.inactive {
		if hmac.Equal(hs256(k.secret, raw[:i]), tok.Signature) {
			return k.id, true
		}
	}
	return "", false
}

// secs writes a leeway as seconds ("60s", not "1m0s").
func secs(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second)
}

// checkClaims are the checks the jwt library does not do.
func (v Verifier) checkClaims(raw string, c *Claims, now time.Time) error {
	maxLife := v.MaxLifetime
	if maxLife <= 0 {
		maxLife = defaultMaxLifetime
	}
	exp := c.ExpiresAt.Time
	if c.IssuedAt != nil {
		if life := exp.Sub(c.IssuedAt.Time); life > maxLife {
			return rejected("lifetime", "the token lives %s (exp - iat); this marketplace allows at most %s", life, maxLife)
		}
	} else if ahead := exp.Sub(now); ahead > maxLife+v.Leeway {
		return rejected("lifetime", "exp is %s from now and the token has no iat; this marketplace allows at most %s", roundDur(ahead), maxLife)
	}
	if len(c.Audience) > 0 && !slices.Contains(c.Audience, Audience) {
		return rejected("audience", "the token's aud %q is not for the marketplace (want no aud, or %q); importer session tokens are not marketplace tokens", []string(c.Audience), Audience)
	}
	if c.OrgID == "" {
		return rejected("orgId", "the orgId claim is required; this marketplace's org id is %q", v.OrgID)
	}
	if string(c.OrgID) != v.OrgID {
		return rejected("orgId", "orgId %q is not this marketplace's org id %q", c.OrgID, v.OrgID)
	}
	if c.User == nil {
		return rejected("user", "the user claim is required: an object with externalId (and optionally firstname, lastname, email, monetizationPlan)")
	}
	if strings.TrimSpace(string(c.User.ExternalID)) == "" {
		keys := payloadUserKeys(raw)
		if len(keys) == 0 {
			return rejected("user", "the user.externalId claim is required (the user object is empty)")
		}
		return rejected("user", "the user.externalId claim is required; the user object has %s", strings.Join(keys, ", "))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"user.externalId", string(c.User.ExternalID), 255}, {"user.firstname", c.User.Firstname, 200}, {"user.lastname", c.User.Lastname, 200}, {"user.email", c.User.Email, 320}, {"user.monetizationPlan", c.User.MonetizationPlan, 100}, {"jti", c.ID, 200}} {
		if len(f.v) > f.max {
			return rejected("user", "the %s claim is longer than %d characters", f.name, f.max)
		}
	}
	return nil
}

// payloadUserKeys lists the keys of the payload's user object (unverified:
// only used to explain a missing externalId).
func payloadUserKeys(raw string) []string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var p struct {
		User map[string]json.RawMessage `json:"user"`
	}
	if json.Unmarshal(b, &p) != nil {
		return nil
	}
	keys := make([]string, 0, len(p.User))
	for k := range p.User {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
