package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Going back from the review to the mapping must not throw the review's
// work away. When a new mapping is confirmed for an import in review, the
// net effect of its edits (the last value of every edited cell, and the
// deleted rows) is kept for the columns whose file column did not change;
// staging re-applies it to the fresh rows as one undoable edit. Edits of
// the other columns are dropped, and the caller is told which.

// MappingChange says what confirming a mapping kept of the review's edits.
type MappingChange struct {
	KeptCells      int      `json:"kept_cells"`
	KeptDeletes    int      `json:"kept_deletes"`
	DroppedCells   int      `json:"dropped_cells"`
	DroppedColumns []string `json:"dropped_columns"` // labels of the columns whose edits were dropped
}

// carryKind marks the pending carry in the edit log between the mapping
// and the end of staging (it is never undone or redone itself).
const carryKind = "carry"

// netEdits returns the net effect of an import's active edits: the last
// value of each edited cell and the deleted rows.
func netEdits(ctx context.Context, tx *store.Tx, importID int64) (map[[2]int64]cellChange, map[int64][]string, error) {
	rs, err := tx.QueryContext(ctx, `SELECT payload FROM importer_edits WHERE import_id = ? AND undone = 0 AND kind <> ? ORDER BY seq, part`, importID, carryKind)
	if err != nil {
		return nil, nil, fmt.Errorf("read edits: %w", err)
	}
	defer rs.Close()
	cells := map[[2]int64]cellChange{}
	deleted := map[int64][]string{}
	for rs.Next() {
		var body string
		if err := rs.Scan(&body); err != nil {
			return nil, nil, fmt.Errorf("read edits: %w", err)
		}
		var p editPayload
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			return nil, nil, fmt.Errorf("read edits: %w", err)
		}
		for _, c := range p.Changes {
			k := [2]int64{c.Row, int64(c.Col)}
			if prev, ok := cells[k]; ok {
				c.Old = prev.Old
			}
			cells[k] = c
		}
		for _, d := range p.Deleted {
			deleted[d.Row] = d.Cells
		}
	}
	return cells, deleted, rs.Err()
}

// planCarry decides, inside ConfirmMapping's transaction and before the
// staged rows are cleared, what of the edits survives the new mapping
// (nil: nothing).
func planCarry(ctx context.Context, tx *store.Tx, imp *Import, sc *schema.Schema, newSrc []int) (MappingChange, *editPayload, error) {
	ch := MappingChange{DroppedColumns: []string{}}
	if imp.Step != StepReview || imp.Mapping == nil {
		return ch, nil, nil
	}
	oldSrc, err := sc.Resolve(*imp.Mapping, imp.Headers)
	if err != nil {
		return ch, nil, nil // the old mapping no longer resolves: nothing to compare with
	}
	cells, deleted, err := netEdits(ctx, tx, imp.ID)
	if err != nil {
		return ch, nil, err
	}
	var keep editPayload
	dropped := map[int]bool{}
	for _, c := range cells {
		if c.Old == c.New {
			continue
		}
		if c.Col < len(newSrc) && oldSrc[c.Col] == newSrc[c.Col] {
			keep.Changes = append(keep.Changes, c)
			ch.KeptCells++
		} else {
			dropped[c.Col] = true
			ch.DroppedCells++
		}
	}
	for row := range deleted {
		keep.Deleted = append(keep.Deleted, deletedRow{Row: row})
	}
	ch.KeptDeletes = len(keep.Deleted)
	sort.Slice(keep.Changes, func(a, b int) bool {
		x, y := keep.Changes[a], keep.Changes[b]
		return x.Row < y.Row || (x.Row == y.Row && x.Col < y.Col)
	})
	sort.Slice(keep.Deleted, func(a, b int) bool { return keep.Deleted[a].Row < keep.Deleted[b].Row })
	infos := sc.Columns()
	for ci := range infos {
		if dropped[ci] {
			ch.DroppedColumns = append(ch.DroppedColumns, infos[ci].Label)
		}
	}
	if len(keep.Changes) == 0 && len(keep.Deleted) == 0 {
		return ch, nil, nil
	}
	keep.Note = "kept after a mapping change"
	return ch, &keep, nil
}

// takeCarry reads (and leaves for clearStaged to remove) the pending carry.
func takeCarry(ctx context.Context, tx *store.Tx, importID int64) (*editPayload, error) {
	var body string
	err := tx.QueryRowContext(ctx, `SELECT payload FROM importer_edits WHERE import_id = ? AND kind = ? LIMIT 1`, importID, carryKind).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read kept edits: %w", err)
	}
	var p editPayload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return nil, fmt.Errorf("read kept edits: %w", err)
	}
	return &p, nil
}

// applyCarry re-applies kept edits to freshly staged rows as one undoable
// edit, and returns the rows whose content it changed. The caller holds
// the import's lock.
func (s *Service) applyCarry(ctx context.Context, slug string, p *editPayload) ([]int64, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return nil, err
	}
	u, err := s.uniqFor(ctx, imp, sc)
	if err != nil {
		return nil, err
	}
	touched := []int64{}
	err = s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
		m := s.newMutation(ctx, tx, imp, sc, u)
		defer m.close()
		var logged editPayload
		gone := map[int64]bool{}
		for _, d := range p.Deleted {
			old, err := m.readRow(d.Row)
			if errs.Is(err, errs.ENOTFOUND) {
				continue
			}
			if err != nil {
				return err
			}
			if err := m.remove(old); err != nil {
				return err
			}
			gone[d.Row] = true
			logged.Deleted = append(logged.Deleted, deletedRow{Row: d.Row, Cells: old.cells})
		}
		byRow := map[int64][]cellChange{}
		var order []int64
		for _, c := range p.Changes {
			if gone[c.Row] {
				continue
			}
			if _, ok := byRow[c.Row]; !ok {
				order = append(order, c.Row)
			}
			byRow[c.Row] = append(byRow[c.Row], c)
		}
		for _, row := range order {
			old, err := m.readRow(row)
			if errs.Is(err, errs.ENOTFOUND) {
				continue
			}
			if err != nil {
				return err
			}
			cells := append([]string(nil), old.cells...)
			changed := false
			for _, c := range byRow[row] {
				if c.Col < len(cells) && cells[c.Col] != c.New {
					logged.Changes = append(logged.Changes, cellChange{Row: row, Col: c.Col, Old: cells[c.Col], New: c.New})
					cells[c.Col] = c.New
					changed = true
				}
			}
			if changed {
				if err := m.update(old, cells); err != nil {
					return err
				}
			}
		}
		if len(logged.Changes) == 0 && len(logged.Deleted) == 0 {
			return nil
		}
		if _, err := m.finish(); err != nil {
			return err
		}
		touched = m.touchedRows()
		seq, err := nextSeq(ctx, tx, imp.ID)
		if err != nil {
			return err
		}
		logged.Note = p.Note
		return logEdit(ctx, tx, imp.ID, seq, 0, "edit", logged)
	})
	return touched, err
}
