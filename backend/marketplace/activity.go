package marketplace

import (
	"context"

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
