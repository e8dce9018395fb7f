package marketplace

import (
	"context"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// noteLimitHit records an install refused by a plan limit
// (marketplace_limit_hits): the refusal leaves no install behind, and the
// console dashboard counts plan-limit hits. Other errors are not noted.
func (s *Service) noteLimitHit(ctx context.Context, sess Session, listingID string, err error) {
	if err == nil || !errs.Is(err, errs.ELIMIT) {
		return
	}
	_, werr := s.db.Write.ExecContext(context.WithoutCancel(ctx), `INSERT INTO marketplace_limit_hits (end_user_id, listing_id, plan, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
		sess.User.ID, listingID, sess.Plan.Name, errs.Message(err), store.Now())
	if werr != nil {
		s.log.Warn("marketplace: record plan-limit hit", "err", werr)
	}
}

// LimitHit is one install refused by a plan limit.
type LimitHit struct {
	ID         int64  `json:"id"`
	EndUserID  string `json:"end_user_id"`
	ExternalID string `json:"external_id"` // the end user's id in the host app
	Email      string `json:"email"`
	ListingID  string `json:"listing_id"`
	Plan       string `json:"plan"`
	Detail     string `json:"detail"`
	CreatedAt  string `json:"created_at"`
}

// LimitHits lists installs refused by a plan limit created in [from, to)
// (a zero time leaves that side open), newest first, at most 500.
func (s *Service) LimitHits(ctx context.Context, from, to time.Time) ([]LimitHit, error) {
	q := `SELECT h.id, h.end_user_id, COALESCE(u.external_id, ''), COALESCE(u.email, ''), h.listing_id, h.plan, h.detail, h.created_at
		FROM marketplace_limit_hits h LEFT JOIN marketplace_end_users u ON u.id = h.end_user_id WHERE 1=1`
	var args []any
	if !from.IsZero() {
		q += ` AND h.created_at >= ?`
		args = append(args, store.FormatTime(from))
	}
	if !to.IsZero() {
		q += ` AND h.created_at < ?`
		args = append(args, store.FormatTime(to))
	}
	q += ` ORDER BY h.id DESC LIMIT 500`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list plan-limit hits: %w", err)
	}
	defer rows.Close()
	out := []LimitHit{}
	for rows.Next() {
		var h LimitHit
		if err := rows.Scan(&h.ID, &h.EndUserID, &h.ExternalID, &h.Email, &h.ListingID, &h.Plan, &h.Detail, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("list plan-limit hits: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list plan-limit hits: %w", err)
	}
	return out, nil
}
