package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// MappingView is what the mapping step shows: the file's headers, the
// importer's columns, suggestions (memory first) and enum value
// suggestions, and the confirmed mapping if there is one.
type MappingView struct {
	Headers     []string                            `json:"headers"`
	Columns     []schema.ColumnInfo                 `json:"columns"`
	Suggestions schema.Suggestions                  `json:"suggestions"`
	Values      map[string][]schema.ValueSuggestion `json:"values"`
	Mapping     *schema.Mapping                     `json:"mapping,omitempty"`
}

// memory loads the remembered header or value mappings of an importer:
// the importer-wide ones and the user's.
func (s *Service) memory(ctx context.Context, importerID int64, userID, kind string) (user, all map[string]string, err error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT user_id, source, target FROM importer_mapping_memory WHERE importer_id = ? AND kind = ? AND user_id IN ('', ?)`,
		importerID, kind, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("read mapping memory: %w", err)
	}
	defer rows.Close()
	user, all = map[string]string{}, map[string]string{}
	for rows.Next() {
		var u, src, tgt string
		if err := rows.Scan(&u, &src, &tgt); err != nil {
			return nil, nil, fmt.Errorf("read mapping memory: %w", err)
		}
		if u == "" {
			all[src] = tgt
		} else {
			user[src] = tgt
		}
	}
	if userID == "" {
		user = nil
	}
	return user, all, rows.Err()
}

// GetMapping returns the mapping step's view of an import.
func (s *Service) GetMapping(ctx context.Context, slug string) (MappingView, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return MappingView{}, err
	}
	if imp.Step == StepCreated {
		return MappingView{}, errs.Conflict("import %s has no file yet; upload one first", slug)
	}
	if err := s.markHeaderPassed(ctx, imp); err != nil {
		return MappingView{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return MappingView{}, err
	}
	userMem, allMem, err := s.memory(ctx, imp.ImporterID, imp.UserID, "header")
	if err != nil {
		return MappingView{}, err
	}
	mv := MappingView{Headers: imp.Headers, Columns: sc.Columns(), Mapping: imp.Mapping, Values: map[string][]schema.ValueSuggestion{}}
	mv.Suggestions = sc.SuggestMapping(imp.Headers, userMem, allMem)
	m := mv.Suggestions.Mapping()
	if imp.Mapping != nil {
		m = *imp.Mapping
	}
	src, err := sc.Resolve(m, imp.Headers)
	if err != nil {
		src, _ = sc.Resolve(mv.Suggestions.Mapping(), imp.Headers)
	}
	if err := s.valueSuggestions(ctx, imp, sc, src, &mv); err != nil {
		return MappingView{}, err
	}
	return mv, nil
}

// distinctScanRows bounds the file scan for enum value suggestions;
// distinctMax the values suggested per column and distinctValueBytes their
// length (a longer value cannot be an enum value; staging flags it), so the
// mapping response stays bounded.
const (
	distinctScanRows   = 100_000
	distinctMax        = 200
	distinctValueBytes = 1 << 10
)

func (s *Service) valueSuggestions(ctx context.Context, imp *Import, sc *schema.Schema, src []int, mv *MappingView) error {
	type acc struct {
		col    int
		counts map[string]int
		order  []string
	}
	var accs []*acc
	for ci := range sc.NumColumns() {
		if sc.IsEnum(ci) && src[ci] >= 0 {
			accs = append(accs, &acc{col: ci, counts: map[string]int{}})
		}
	}
	if len(accs) == 0 {
		return nil
	}
	limit := sc.Def.Settings.MaxFileBytes()
	rd, err := s.openFile(ctx, imp, imp.FileOptions, limit)
	if err != nil {
		return err
	}
	defer rd.Close()
	// A workbook's rows are recorded, and the reader parked for staging
	// to resume (resume.go).
	s.parked.discard(imp.ID)
	recording, _ := rd.Record(s.uploadDir(imp.Slug))
	for n := 0; n < distinctScanRows+imp.HeaderRow; n++ {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			break // the staging step reports file problems with their row
		}
		if rd.Row() <= imp.HeaderRow {
			continue
		}
		for _, a := range accs {
			fi := src[a.col]
			if fi >= len(row) {
				continue
			}
			v := schema.TrimCell(row[fi])
			if v == "" || len(v) > distinctValueBytes {
				continue
			}
			if _, seen := a.counts[v]; !seen {
				if len(a.order) >= distinctMax {
					continue
				}
				a.order = append(a.order, v)
			}
			a.counts[v]++
		}
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if recording {
		if sus, err := rd.Suspend(); err == nil {
			s.parked.put(imp.ID, parkKeyOf(imp, imp.FileOptions, limit), sus)
		}
	}
	for _, a := range accs {
		key := sc.Key(a.col)
		userMem, allMem, err := s.memory(ctx, imp.ImporterID, imp.UserID, "value:"+key)
		if err != nil {
			return err
		}
		sort.SliceStable(a.order, func(i, j int) bool { return a.counts[a.order[i]] > a.counts[a.order[j]] })
		vs, err := sc.SuggestValues(a.col, a.order, userMem, allMem)
		if err != nil {
			return err
		}
		for i := range vs {
			vs[i].Count = a.counts[vs[i].From]
			if imp.Mapping != nil {
				if to, ok := imp.Mapping.Values[key][vs[i].From]; ok {
					vs[i].To, vs[i].Confidence, vs[i].Source = to, 1, "confirmed"
				}
			}
		}
		mv.Values[key] = vs
	}
	return nil
}

// ConfirmMapping checks and stores the mapping of an import and remembers
// it for the importer and for the import's end user (metadata user_id).
// Staging must then run (Stage or StartStaging).
func (s *Service) ConfirmMapping(ctx context.Context, slug string, m schema.Mapping) error {
	_, err := s.ConfirmMappingChange(ctx, slug, m)
	return err
}

// ConfirmMappingChange is ConfirmMapping for an import that may be in
// review: the edits of columns whose file column stays the same are kept
// (staging re-applies them), the others are dropped; the answer says which.
func (s *Service) ConfirmMappingChange(ctx context.Context, slug string, m schema.Mapping) (MappingChange, error) {
	ch := MappingChange{DroppedColumns: []string{}}
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return ch, err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return ch, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil { // fresh, under the lock
		return ch, err
	}
	if err := refuseCancelled(imp); err != nil {
		return ch, err
	}
	if imp, err = s.recoverInterrupted(ctx, imp); err != nil {
		return ch, err
	}
	if imp.Status != StatusCreated || imp.Step == StepCreated || imp.Step == StepStaging || imp.Step == StepSubmitting {
		return ch, errs.Conflict("import %s cannot take a mapping now (status %s, step %s)", slug, imp.Status, imp.Step)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return ch, err
	}
	src, err := sc.Resolve(m, imp.Headers)
	if err != nil {
		return ch, err
	}
	var missing []string
	for ci, fi := range src {
		if fi < 0 && sc.IsRequired(ci) {
			missing = append(missing, sc.Key(ci))
		}
	}
	if len(missing) > 0 {
		return ch, errs.Invalid("mapping: required column(s) %s have no file column", strings.Join(missing, ", "))
	}
	// store with indexes resolved, so the mapping stands on its own
	norm := schema.Mapping{Values: m.Values}
	fileKey := map[int]string{}
	for ci, fi := range src {
		if fi >= 0 {
			fileKey[fi] = sc.Key(ci)
		}
	}
	for fi, h := range imp.Headers {
		idx := fi
		norm.Columns = append(norm.Columns, schema.MappedColumn{Index: &idx, Header: h, Key: fileKey[fi]})
	}
	body, _ := json.Marshal(norm)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var carry *editPayload
		var err error
		if ch, carry, err = planCarry(ctx, tx, imp, sc, src); err != nil {
			return err
		}
		if err := clearStaged(ctx, tx, imp.ID); err != nil {
			return err
		}
		if carry != nil {
			if err := logEdit(ctx, tx, imp.ID, 0, 0, carryKind, *carry); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET mapping = ?, step = ?, row_count = 0, max_row = 0, error_rows = 0, warning_rows = 0,
			version = version + 1, updated_at = ? WHERE id = ?`, string(body), StepUploaded, nowString(), imp.ID); err != nil {
			return fmt.Errorf("save mapping: %w", err)
		}
		if err := markReached(ctx, tx, imp.ID, ReachedMapping); err != nil {
			return err
		}
		return s.remember(ctx, tx, imp, norm)
	})
	return ch, err
}

func (s *Service) remember(ctx context.Context, tx *store.Tx, imp *Import, m schema.Mapping) error {
	users := []string{""}
	if imp.UserID != "" {
		users = append(users, imp.UserID)
	}
	now := nowString()
	put := func(kind, src, tgt string) error {
		for _, u := range users {
			if _, err := tx.ExecContext(ctx, `INSERT INTO importer_mapping_memory (importer_id, user_id, kind, source, target, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (importer_id, user_id, kind, source) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at`,
				imp.ImporterID, u, kind, src, tgt, now); err != nil {
				return fmt.Errorf("remember mapping: %w", err)
			}
		}
		return nil
	}
	for _, mc := range m.Columns {
		if n := schema.NormalizeHeader(mc.Header); n != "" {
			if err := put("header", n, mc.Key); err != nil {
				return err
			}
		}
	}
	for key, vm := range m.Values {
		for from, to := range vm {
			if n := schema.NormalizeHeader(from); n != "" && to != "" {
				if err := put("value:"+key, n, to); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
