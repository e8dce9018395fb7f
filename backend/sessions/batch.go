package sessions

import (
	"context"
	"fmt"

	"fusebox/backend/store"
)

// Session rows are written with group commit: concurrent Issue calls
// queue their row, one of them (the leader) writes every queued row in a
// single transaction on the single writer connection, and hands the lead
// to the next waiter if more rows queued meanwhile. Under load this turns
// N commits into one; a lone request still commits at once. No goroutine
// runs in the background.

const maxBatch = 256

type pendingInsert struct {
	args []any
	done chan insertResult
}

type insertResult struct {
	err  error
	lead bool // the receiver now writes the queue
}

func (s *Service) insertSession(ctx context.Context, args ...any) error {
	p := &pendingInsert{args: args, done: make(chan insertResult, 1)}
	s.batchMu.Lock()
	s.pending = append(s.pending, p)
	lead := !s.flushing
	s.flushing = true
	s.batchMu.Unlock()
	if !lead {
		r := <-p.done
		if !r.lead {
			return r.err
		}
	}
	s.batchMu.Lock()
	n := min(len(s.pending), maxBatch)
	batch := s.pending[:n:n]
	s.pending = s.pending[n:]
	s.batchMu.Unlock()

	results := s.writeSessions(context.WithoutCancel(ctx), batch)
	var own error
	for i, b := range batch {
		if b == p {
			own = results[i]
			continue
		}
		b.done <- insertResult{err: results[i]}
	}
	s.batchMu.Lock()
	if len(s.pending) > 0 {
		next := s.pending[0]
		s.batchMu.Unlock()
		next.done <- insertResult{lead: true}
	} else {
		s.flushing = false
		s.batchMu.Unlock()
	}
	return own
}

// writeSessions inserts a batch in one transaction and returns each
// row's error. If the transaction fails, each row is tried alone so that
// one bad row cannot fail the others.
func (s *Service) writeSessions(ctx context.Context, batch []*pendingInsert) []error {
	results := make([]error, len(batch))
	st, err := s.stmts(ctx)
	if err != nil {
		for i := range results {
			results[i] = err
		}
		return results
	}
	write := func(rows []*pendingInsert) error {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			ins := tx.StmtContext(ctx, st.insertSession)
			for _, r := range rows {
				if _, err := ins.ExecContext(ctx, r.args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store session: %w", err)
		}
		return nil
	}
	err = write(batch)
	if err == nil || len(batch) == 1 {
		for i := range results {
			results[i] = err
		}
		return results
	}
	for i, r := range batch {
		results[i] = write([]*pendingInsert{r})
	}
	return results
}
