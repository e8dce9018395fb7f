package sessions

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// IssueParams is a request for a session.
type IssueParams struct {
	ImporterSlug string
	// Metadata is a JSON object (absent or null means {}), at most
	// MaxMetadataBytes once compacted.
	Metadata json.RawMessage
	// Key is the API key asking; nil when the console or the CLI issues.
	Key *Key
	// Origin is the request's Origin header ("" from servers).
	Origin string
}

// Issued is a new session token, in the API's response shape.
type Issued struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// claims are a session token's claims: the registered ones (iss, sub =
// importer slug, aud, exp, iat, jti = session id) plus the importer slug
// under its own name for readers of the token.
type claims struct {
	Importer string `json:"importer"`
	jwt.RegisteredClaims
}

// NormalizeMetadata checks that raw is a JSON object within the size limit
// and returns it compacted ("{}" for absent or null).
func NormalizeMetadata(raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return "{}", nil
	}
	if t[0] != '{' {
		return "", errs.Invalid(`metadata must be a JSON object, e.g. {"user_id": 123}`)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return "", errs.Invalid("metadata is not valid JSON: %v", err)
	}
	if buf.Len() > MaxMetadataBytes {
		return "", errs.Invalid("metadata is %d bytes of JSON; the limit is %d bytes (16 KiB)", buf.Len(), MaxMetadataBytes)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &probe); err != nil {
		return "", errs.Invalid("metadata must be a JSON object: %v", err)
	}
	return buf.String(), nil
}

// Issue creates a session for an importer and returns its signed token.
// A publishable key may only issue from one of its origins and for one of
// its importers (EFORBIDDEN otherwise); an unknown importer is ENOTFOUND.
func (s *Service) Issue(ctx context.Context, p IssueParams) (Issued, error) {
	slug := strings.TrimSpace(p.ImporterSlug)
	if slug == "" {
		return Issued{}, errs.Invalid("importer_slug is required: the slug of the importer the session is for")
	}
	md, err := NormalizeMetadata(p.Metadata)
	if err != nil {
		return Issued{}, err
	}
	keyID := ""
	if k := p.Key; k != nil {
		keyID = k.ID
		if !k.Active {
			return Issued{}, errs.Unauthorized("the API key %s… was deactivated", k.Prefix)
		}
		if k.Kind == KindPublishable {
			if p.Origin == "" {
				return Issued{}, errs.Forbidden("a publishable key works only from a browser page on one of its origins, and this request has no Origin header; from a server, use a secret key (fbx_sk_…)")
			}
			if !k.AllowsOrigin(p.Origin) {
				return Issued{}, errs.Forbidden("origin %q is not allowed for publishable key %s…; add it to the key's origins (a new key with --origins)", p.Origin, k.Prefix)
			}
			if !k.AllowsImporter(slug) {
				return Issued{}, errs.Forbidden("publishable key %s… may not create sessions for importer %q", k.Prefix, slug)
			}
		}
	}
	ttl, err := s.importers.SessionTTL(ctx, slug)
	if err != nil {
		return Issued{}, err
	}
	if ttl <= 0 {
		ttl = s.ttl
	}
	ttl = min(ttl, MaxTTL)
	id := ids.New("ses_")
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	token, err := s.sign(ctx, id, slug, now, exp)
	if err != nil {
		return Issued{}, err
	}
	if err := s.insertSession(ctx, id, slug, md, keyID, p.Origin, store.FormatTime(now), store.FormatTime(exp)); err != nil {
		return Issued{}, err
	}
	return Issued{ID: id, Token: token, ExpiresAt: exp}, nil
}

func (s *Service) sign(ctx context.Context, id, slug string, now, exp time.Time) (string, error) {
	keys, err := s.signingKeys(ctx)
	if err != nil {
		return "", err
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Importer: slug,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: slug, Audience: jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), ID: id,
		},
	})
	tok.Header["kid"] = keys.current
	tok.Header["typ"] = TokenType
	signed, err := tok.SignedString(keys.secrets[keys.current])
	if err != nil {
		return "", fmt.Errorf("sign session token: %w", err)
	}
	return signed, nil
}

// errBadToken builds the 401 for a token that does not verify.
func errBadToken(format string, args ...any) error {
	return errs.Unauthorized("the session token is not valid: "+format, args...)
}

// Verify checks a session token: HS256 only, the signature under a known
// kid, typ and audience of an importer session, no crit header, exp
// present and not passed (with Leeway), issuer, and that the session
// exists and was not revoked. It returns the stored session.
func (s *Service) Verify(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, errs.Unauthorized("a session token is required")
	}
	if len(token) > 8<<10 {
		return Session{}, errBadToken("it is too long")
	}
	keys, err := s.signingKeys(ctx)
	if err != nil {
		return Session{}, err
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithAudience(Audience),
		jwt.WithIssuer(Issuer),
		jwt.WithTimeFunc(s.now),
	)
	var c claims
	var keyErr error
	_, err = parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			keyErr = errBadToken("it has a crit header, which is not supported")
			return nil, keyErr
		}
		if typ, _ := t.Header["typ"].(string); typ != TokenType {
			keyErr = errBadToken("it is not an importer session token (typ %q)", typ)
			return nil, keyErr
		}
		kid, _ := t.Header["kid"].(string)
		secret, ok := keys.secrets[kid]
		if !ok {
			keyErr = errBadToken("it was not signed by this Fusebox workspace (unknown kid)")
			return nil, keyErr
		}
		return secret, nil
	})
	switch {
	case err == nil:
	case keyErr != nil:
		return Session{}, keyErr
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Session{}, errBadToken("it is not a well-formed JWT")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		if alg := algOf(token); alg != "" && alg != "HS256" {
			return Session{}, errBadToken("signing method %q is not allowed (HS256 only)", alg)
		}
		return Session{}, errBadToken("the signature does not match")
	case errors.Is(err, jwt.ErrTokenExpired):
		return Session{}, errs.Unauthorized("the session token expired; ask the host app for a new session")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return Session{}, errBadToken("it is not an importer session token (audience must be %q)", Audience)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return Session{}, errBadToken("it has no expiry (exp)")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return Session{}, errBadToken("it was not issued by Fusebox")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return Session{}, errBadToken("it is not valid yet")
	default:
		return Session{}, errBadToken("%v", err)
	}
	if c.ID == "" {
		return Session{}, errBadToken("it has no session id (jti)")
	}
	sess, err := s.GetSession(ctx, c.ID)
	if errs.Is(err, errs.ENOTFOUND) {
		return Session{}, errBadToken("its session does not exist in this workspace")
	}
	if err != nil {
		return Session{}, err
	}
	if sess.ImporterSlug != c.Importer || sess.ImporterSlug != c.Subject {
		return Session{}, errBadToken("its importer does not match its session")
	}
	switch sess.Status {
	case StatusRevoked:
		return Session{}, errs.Unauthorized("the session was revoked; ask the host app for a new session")
	case StatusExpired:
		// The stored expiry is authoritative; the token's exp was within
		// the leeway.
		if s.now().After(sess.ExpiresAt.Add(Leeway)) {
			return Session{}, errs.Unauthorized("the session token expired; ask the host app for a new session")
		}
		sess.Status = StatusActive
	}
	return sess, nil
}

// algOf returns the alg of a token's header, "" when unreadable.
func algOf(token string) string {
	var h struct {
		Alg string `json:"alg"`
	}
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	b, err := jwt.NewParser().DecodeSegment(head)
	if err != nil || json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

const sessionColumns = `id, importer_slug, metadata, key_id, origin, created_at, expires_at, revoked_at`

func (s *Service) scanSession(sc rowScanner, now time.Time) (Session, error) {
	var sess Session
	var md, created, expires, revoked string
	if err := sc.Scan(&sess.ID, &sess.ImporterSlug, &md, &sess.KeyID, &sess.Origin, &created, &expires, &revoked); err != nil {
		return Session{}, err
	}
	sess.Metadata = decodeMetadata(md)
	sess.CreatedAt, sess.ExpiresAt, sess.RevokedAt = parseTime(created), parseTime(expires), parseTime(revoked)
	sess.setStatus(now)
	return sess, nil
}

// GetSession returns the session with id.
func (s *Service) GetSession(ctx context.Context, id string) (Session, error) {
	st, err := s.stmts(ctx)
	if err != nil {
		return Session{}, err
	}
	sess, err := s.scanSession(st.sessionByID.QueryRowContext(ctx, id), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errs.NotFound("session %q not found", id)
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session %s: %w", id, err)
	}
	return sess, nil
}

// SessionFilter selects sessions for ListSessions. Page is 1-based;
// PerPage defaults to 25 and is at most 100.
type SessionFilter struct {
	ImporterSlug string
	KeyID        string
	Status       string // active | expired | revoked | "" (all)
	Page         int
	PerPage      int
}

// ListSessions returns a page of sessions, newest first, and how many
// match the filter.
func (s *Service) ListSessions(ctx context.Context, f SessionFilter) ([]Session, int, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 25
	}
	f.PerPage = min(f.PerPage, 100)
	now := s.now()
	nowText := store.FormatTime(now)
	where := ` WHERE 1=1`
	var args []any
	if f.ImporterSlug != "" {
		where += ` AND importer_slug = ?`
		args = append(args, f.ImporterSlug)
	}
	if f.KeyID != "" {
		where += ` AND key_id = ?`
		args = append(args, f.KeyID)
	}
	switch f.Status {
	case "":
	case StatusActive:
		where += ` AND revoked_at = '' AND expires_at > ?`
		args = append(args, nowText)
	case StatusExpired:
		where += ` AND revoked_at = '' AND expires_at <= ?`
		args = append(args, nowText)
	case StatusRevoked:
		where += ` AND revoked_at <> ''`
	default:
		return nil, 0, errs.Invalid("status must be active, expired or revoked, not %q", f.Status)
	}
	var total int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_sessions`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list sessions: %w", err)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+sessionColumns+` FROM importer_sessions`+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		sess, err := s.scanSession(rows, now)
		if err != nil {
			return nil, 0, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, total, rows.Err()
}

// Revoke revokes a session: its token stops verifying at once. Revoking
// a revoked session changes nothing.
func (s *Service) Revoke(ctx context.Context, id string) (Session, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE importer_sessions SET revoked_at = ? WHERE id = ? AND revoked_at = ''`, store.FormatTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("revoke session %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM importer_sessions WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return errs.NotFound("session %q not found", id)
			}
		}
		return nil
	})
	if err != nil {
		return Session{}, err
	}
	return s.GetSession(ctx, id)
}

// CountActiveSessions is a dashboard figure.
func (s *Service) CountActiveSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_sessions WHERE revoked_at = '' AND expires_at > ?`, store.FormatTime(s.now())).Scan(&n)
	return n, err
}

// PruneExpired deletes sessions that ended (expired or revoked) before
// cutoff, returning how many it deleted.
func (s *Service) PruneExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	c := store.FormatTime(cutoff)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM importer_sessions WHERE expires_at < ? OR (revoked_at <> '' AND revoked_at < ?)`, c, c)
		if err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
