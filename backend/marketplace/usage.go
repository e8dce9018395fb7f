package marketplace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Reserve counts n transactions (relay deliveries) for an end user in the
// current calendar month (UTC). When that would pass the plan's
// max_transactions it reserves nothing and fails with errs.Limit carrying
// the plan's upgrade message. The relay calls it before delivering on
// behalf of a marketplace end user.
func (s *Service) Reserve(ctx context.Context, endUserID string, n int) error {
	if n <= 0 {
		return errs.Invalid("reserve: n must be positive, not %d", n)
	}
	month := s.now().UTC().Format("2006-01")
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var planName string
		err := tx.QueryRowContext(ctx, `SELECT plan FROM marketplace_end_users WHERE id = ?`, endUserID).Scan(&planName)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("no marketplace end user %q", endUserID)
		}
		if err != nil {
			return fmt.Errorf("read end user %s: %w", endUserID, err)
		}
		plan, _, err := planFor(ctx, tx, planName)
		if err != nil {
			return err
		}
		var used int
		err = tx.QueryRowContext(ctx, `SELECT transactions FROM marketplace_usage WHERE end_user_id = ? AND month = ?`, endUserID, month).Scan(&used)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read usage of %s: %w", endUserID, err)
		}
		if plan.MaxTransactions > 0 && used+n > plan.MaxTransactions {
			return limitErr(plan, fmt.Sprintf("the %s plan allows %d transaction%s a month; %d used in %s, %d more asked", plan.Name, plan.MaxTransactions, plural(plan.MaxTransactions), used, month, n))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO marketplace_usage (end_user_id, month, transactions) VALUES (?, ?, ?)
			ON CONFLICT (end_user_id, month) DO UPDATE SET transactions = marketplace_usage.transactions + excluded.transactions`, endUserID, month, n)
		if err != nil {
			return fmt.Errorf("count usage of %s: %w", endUserID, err)
		}
		return nil
	})
}

// Usage is an end user's standing against their plan this month.
type Usage struct {
	Month           string `json:"month"`
	Integrations    int    `json:"integrations"`
	MaxIntegrations int    `json:"max_integrations"`
	Transactions    int    `json:"transactions"`
	MaxTransactions int    `json:"max_transactions"`
}

// UsageOf returns the end user's usage under plan.
func (s *Service) UsageOf(ctx context.Context, endUserID string, plan Plan) (Usage, error) {
	u := Usage{Month: s.now().UTC().Format("2006-01"), MaxIntegrations: plan.MaxIntegrations, MaxTransactions: plan.MaxTransactions}
	err := s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM marketplace_installs WHERE end_user_id = ? AND status IN ('running', 'installed')),
		coalesce((SELECT transactions FROM marketplace_usage WHERE end_user_id = ? AND month = ?), 0)`, endUserID, endUserID, u.Month).
		Scan(&u.Integrations, &u.Transactions)
	if err != nil {
		return u, fmt.Errorf("read usage of %s: %w", endUserID, err)
	}
	return u, nil
}

// CountListings, CountEndUsers and CountInstalls are dashboard figures.
func (s *Service) CountListings(ctx context.Context) (int64, error) {
	return s.count(ctx, `SELECT count(*) FROM marketplace_listings`)
}

func (s *Service) CountEndUsers(ctx context.Context) (int64, error) {
	return s.count(ctx, `SELECT count(*) FROM marketplace_end_users`)
}

func (s *Service) CountInstalls(ctx context.Context) (int64, error) {
	return s.count(ctx, `SELECT count(*) FROM marketplace_installs WHERE status IN ('running', 'installed')`)
}

func (s *Service) count(ctx context.Context, q string) (int64, error) {
	var n int64
	if err := s.db.Read.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}
