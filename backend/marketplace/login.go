package marketplace

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// EndUser is a user of the host app who came in through a signed link.
type EndUser struct {
	ID            string `json:"id"`
	OrgID         string `json:"org_id"`
	ExternalID    string `json:"external_id"`
	Firstname     string `json:"firstname"`
	Lastname      string `json:"lastname"`
	Email         string `json:"email"`
	Plan          string `json:"plan"`
	RequestedPlan string `json:"requested_plan"`
	PlanNote      string `json:"plan_note"`
	CreatedAt     string `json:"created_at"`
	LastLoginAt   string `json:"last_login_at"`
}

// Session is a logged-in marketplace session.
type Session struct {
	User      EndUser
	Plan      Plan
	ExpiresAt time.Time
	// connection holds the token's connection claims (prefill values).
	connection map[string]any
}

// LoginResult is a token exchanged for a session. SessionID is the opaque
// id the iframe keeps and sends as X-Fusebox-Marketplace-Session.
type LoginResult struct {
	SessionID string
	Session   Session
}

// Verifier returns a verifier with the current settings and secrets.
func (s *Service) Verifier(ctx context.Context) (Verifier, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return Verifier{}, err
	}
	active, inactive, err := s.keys(ctx, true)
	if err != nil {
		return Verifier{}, err
	}
	return Verifier{
		OrgID: st.OrgID, Leeway: st.Leeway(), MaxLifetime: st.MaxLifetime(),
		MaxBytes: DefaultMaxTokenBytes, Now: s.now, active: active, inactive: inactive,
	}, nil
}

// Verify checks a token without logging in (the signed-link page does it
// before it serves the marketplace). A jti that was already used fails.
func (s *Service) Verify(ctx context.Context, raw string) (Verified, error) {
	v, err := s.Verifier(ctx)
	if err != nil {
		return Verified{}, err
	}
	ver, err := v.Parse(raw)
	if err != nil {
		return ver, err
	}
	if ver.Claims.ID != "" {
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM marketplace_used_jti WHERE jti = ?`, ver.Claims.ID).Scan(&n); err != nil {
			return ver, fmt.Errorf("check jti: %w", err)
		}
		if n > 0 {
			return ver, jtiReused(ver.Claims.ID)
		}
	}
	return ver, nil
}

func jtiReused(jti string) error {
	return rejected("jti", "this token was already used (jti %q); a token with a jti works once, so sign a new one for each link", jti)
}

// Login exchanges a signed-link token for a marketplace session: it
// verifies the token, spends its jti, creates or updates the end user from
// the claims and stores a new session (only the hash of its id).
func (s *Service) Login(ctx context.Context, raw string) (LoginResult, error) {
	v, err := s.Verifier(ctx)
	if err != nil {
		return LoginResult{}, err
	}
	ver, err := v.Parse(raw)
	if err != nil {
		return LoginResult{}, err
	}
	c := ver.Claims
	// A bearer credential the iframe holds: 256 bits, like the secrets.
	sid := "mks_" + base64.RawURLEncoding.EncodeToString(ids.Bytes(32))
	now := s.now()
	var res LoginResult
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if c.ID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM marketplace_used_jti WHERE expires_at < ?`, store.FormatTime(now.Add(-v.Leeway))); err != nil {
				return fmt.Errorf("expire used jti: %w", err)
			}
			r, err := tx.ExecContext(ctx, `INSERT INTO marketplace_used_jti (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING`,
				c.ID, store.FormatTime(c.ExpiresAt.Time))
			if err != nil {
				return fmt.Errorf("record jti: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return jtiReused(c.ID)
			}
		}
		plan, found, err := planFor(ctx, tx, c.User.MonetizationPlan)
		if err != nil {
			return err
		}
		note := ""
		if c.User.MonetizationPlan != "" && !found {
			note = fmt.Sprintf("monetizationPlan %q is not a plan of this marketplace; the default plan %q applies", c.User.MonetizationPlan, plan.Name)
			s.log.WarnContext(ctx, "marketplace login with an unknown plan", "external_id", string(c.User.ExternalID), "requested_plan", c.User.MonetizationPlan, "plan", plan.Name)
		}
		u, err := upsertEndUser(ctx, tx, v.OrgID, c.User, plan.Name, note, store.FormatTime(now))
		if err != nil {
			return err
		}
		conn := ""
		if len(c.Connection) > 0 {
			b, err := json.Marshal(c.Connection)
			if err != nil {
				return fmt.Errorf("encode connection claims: %w", err)
			}
			if conn, err = s.seal.seal(ctx, b, "marketplace session "+hashID(sid)); err != nil {
				return fmt.Errorf("seal connection claims: %w", err)
			}
		}
		expires := now.Add(s.ttl)
		if _, err := tx.ExecContext(ctx, `DELETE FROM marketplace_sessions WHERE expires_at < ?`, store.FormatTime(now)); err != nil {
			return fmt.Errorf("expire sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO marketplace_sessions (id_hash, end_user_id, secret_id, connection, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			hashID(sid), u.ID, ver.SecretID, conn, store.FormatTime(now), store.FormatTime(expires)); err != nil {
			return fmt.Errorf("create marketplace session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE marketplace_secrets SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), ver.SecretID); err != nil {
			return fmt.Errorf("mark secret used: %w", err)
		}
		res = LoginResult{SessionID: sid, Session: Session{User: u, Plan: plan, ExpiresAt: expires, connection: c.Connection}}
		return nil
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

func upsertEndUser(ctx context.Context, tx *store.Tx, orgID string, c *UserClaims, plan, note, now string) (EndUser, error) {
	u := EndUser{OrgID: orgID, ExternalID: string(c.ExternalID), Firstname: c.Firstname, Lastname: c.Lastname, Email: c.Email,
		Plan: plan, RequestedPlan: c.MonetizationPlan, PlanNote: note, LastLoginAt: now}
	err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM marketplace_end_users WHERE org_id = ? AND external_id = ?`, orgID, u.ExternalID).Scan(&u.ID, &u.CreatedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		u.ID, u.CreatedAt = ids.New("mu_"), now
		_, err = tx.ExecContext(ctx, `INSERT INTO marketplace_end_users (id, org_id, external_id, firstname, lastname, email, plan, requested_plan, plan_note, created_at, last_login_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, orgID, u.ExternalID, u.Firstname, u.Lastname, u.Email, plan, u.RequestedPlan, note, now, now)
	case err == nil:
		_, err = tx.ExecContext(ctx, `UPDATE marketplace_end_users SET firstname = ?, lastname = ?, email = ?, plan = ?, requested_plan = ?, plan_note = ?, last_login_at = ? WHERE id = ?`,
			u.Firstname, u.Lastname, u.Email, plan, u.RequestedPlan, note, now, u.ID)
	}
	if err != nil {
		return u, fmt.Errorf("save end user %s: %w", u.ExternalID, err)
	}
	return u, nil
}

func hashID(sid string) string {
	sum := sha256.Sum256([]byte(sid))
	return hex.EncodeToString(sum[:])
}

const endUserCols = `u.id, u.org_id, u.external_id, u.firstname, u.lastname, u.email, u.plan, u.requested_plan, u.plan_note, u.created_at, u.last_login_at`

func (u *EndUser) fields() []any {
	return []any{&u.ID, &u.OrgID, &u.ExternalID, &u.Firstname, &u.Lastname, &u.Email, &u.Plan, &u.RequestedPlan, &u.PlanNote, &u.CreatedAt, &u.LastLoginAt}
}

// Authenticate returns the session of a session id sent by the iframe.
func (s *Service) Authenticate(ctx context.Context, sid string) (Session, error) {
	if sid == "" {
		return Session{}, errs.Unauthorized("log in first: open the marketplace through the signed link of your app")
	}
	var sess Session
	var conn, expires string
	err := s.db.Read.QueryRowContext(ctx, `SELECT s.connection, s.expires_at, `+endUserCols+`
		FROM marketplace_sessions s JOIN marketplace_end_users u ON u.id = s.end_user_id WHERE s.id_hash = ?
		AND NOT EXISTS (SELECT 1 FROM marketplace_secrets k WHERE k.id = s.secret_id AND k.deactivated_at <> '')`, hashID(sid)).
		Scan(append([]any{&conn, &expires}, sess.User.fields()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errs.Unauthorized("this marketplace session is not valid (it may have been logged out, or the secret that signed its link was deactivated); open the marketplace through the signed link of your app again")
	}
	if err != nil {
		return Session{}, fmt.Errorf("read marketplace session: %w", err)
	}
	if sess.ExpiresAt, err = store.ParseTime(expires); err != nil {
		return Session{}, fmt.Errorf("read marketplace session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return Session{}, errs.Unauthorized("this marketplace session expired at %s; open the marketplace through the signed link of your app again", expires)
	}
	if sess.Plan, _, err = planFor(ctx, s.db.Read, sess.User.Plan); err != nil {
		return Session{}, err
	}
	if conn != "" {
		b, err := s.seal.open(ctx, conn, "marketplace session "+hashID(sid))
		if err != nil {
			return Session{}, err
		}
		if err := json.Unmarshal(b, &sess.connection); err != nil {
			return Session{}, fmt.Errorf("read session connection: %w", err)
		}
	}
	return sess, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sid string) error {
	_, err := s.db.Write.ExecContext(ctx, `DELETE FROM marketplace_sessions WHERE id_hash = ?`, hashID(sid))
	if err != nil {
		return fmt.Errorf("log out: %w", err)
	}
	return nil
}

// EndUserSummary is an end user with their installs and this month's usage.
type EndUserSummary struct {
	EndUser
	Installs     int `json:"installs"`
	Transactions int `json:"transactions"`
}

// EndUsers lists end users, most recent login first.
func (s *Service) EndUsers(ctx context.Context) ([]EndUserSummary, error) {
	month := s.now().UTC().Format("2006-01")
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+endUserCols+`,
		(SELECT count(*) FROM marketplace_installs i WHERE i.end_user_id = u.id AND i.status IN ('running', 'installed')),
		coalesce((SELECT transactions FROM marketplace_usage m WHERE m.end_user_id = u.id AND m.month = ?), 0)
		FROM marketplace_end_users u ORDER BY u.last_login_at DESC, u.id LIMIT 1000`, month)
	if err != nil {
		return nil, fmt.Errorf("list end users: %w", err)
	}
	defer rows.Close()
	out := []EndUserSummary{}
	for rows.Next() {
		var e EndUserSummary
		if err := rows.Scan(append(e.fields(), &e.Installs, &e.Transactions)...); err != nil {
			return nil, fmt.Errorf("list end users: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
