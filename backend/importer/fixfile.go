package importer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"fusebox/backend/csvsafe"
	"fusebox/backend/errs"
	"fusebox/backend/ingest"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// The rows with errors can leave the review as a file to fix in a
// spreadsheet and come back to patch the same rows: the file's first
// column is the row id, then one column per importer column (the values
// as staged), then the errors of the row. Re-uploading it changes the
// cells that differ, as one undoable edit.

// Headers of the fix file's own columns.
const (
	FixRowIDHeader  = "Row ID"
	FixErrorsHeader = "Errors"
)

// MaxFixRows bounds the rows of one fix file (a worksheet holds 1,048,576).
const MaxFixRows = 1_000_000

// MaxFixFilesAtOnce is how many fix files one server receives and reads
// at a time; more wait for their turn.
const MaxFixFilesAtOnce = 2

// fixHeader is the header row of an import's fix file.
func fixHeader(sc *schema.Schema) []string {
	cols := sc.Columns()
	h := make([]string, 0, len(cols)+2)
	h = append(h, FixRowIDHeader)
	for _, c := range cols {
		h = append(h, c.Label)
	}
	return append(h, FixErrorsHeader)
}

// ExportErrors writes the rows with errors of an import as "csv" or
// "xlsx" to w. CSV cells are neutralized for spreadsheets (csvsafe); XLSX
// cells are written as text, never as formulas.
func (s *Service) ExportErrors(ctx context.Context, slug, format string, w io.Writer) error {
	if format != "csv" && format != "xlsx" {
		return errs.Invalid("format %q: use csv or xlsx", format)
	}
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	if imp.Step != StepReview {
		return errs.Conflict("import %s has no rows to review yet (step %s)", slug, imp.Step)
	}
	if imp.ErrorRows > MaxFixRows {
		return errs.Invalid("%d rows have errors; a fix file holds at most %d (fix a column with find & replace first)", imp.ErrorRows, MaxFixRows)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return err
	}
	header := fixHeader(sc)
	var put func(rec []string) error
	var finish func() error
	switch format {
	case "csv":
		cw := csvsafe.NewWriter(w)
		put = func(rec []string) error { return cw.Write(rec) }
		finish = func() error { cw.Flush(); return cw.Error() }
	default:
		f := excelize.NewFile()
		defer f.Close()
		sheet := "Rows with errors"
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return fmt.Errorf("errors file: %w", err)
		}
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return fmt.Errorf("errors file: %w", err)
		}
		n := 0
		cells := make([]any, len(header))
		put = func(rec []string) error {
			n++
			for i, v := range rec {
				cells[i] = excelize.Cell{Value: v} // a string: stored as text
			}
			cell, _ := excelize.CoordinatesToCellName(1, n)
			return sw.SetRow(cell, cells)
		}
		finish = func() error {
			if err := sw.Flush(); err != nil {
				return err
			}
			return f.Write(w)
		}
	}
	if err := put(header); err != nil {
		return fmt.Errorf("errors file: %w", err)
	}
	rec := make([]string, len(header))
	var after int64
	for {
		where, args := filterSQL(imp, "errors", -1, after, 0)
		rows, err := s.queryRows(ctx, imp.ID, sc, selectRows(where, false)+` ORDER BY r.id LIMIT ?`, append(args, 2000)...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			rec[0] = strconv.FormatInt(r.Row, 10)
			copy(rec[1:], r.Values)
			var msgs []string
			for _, is := range r.Issues {
				label := is.Column
				if ci := sc.Index(is.Column); ci >= 0 {
					label = header[ci+1]
				}
				msgs = append(msgs, label+": "+is.Message)
			}
			rec[len(rec)-1] = strings.Join(msgs, "; ")
			if err := put(rec); err != nil {
				return fmt.Errorf("errors file: %w", err)
			}
			after = r.Row
		}
		if len(rows) < 2000 {
			break
		}
	}
	if err := finish(); err != nil {
		return fmt.Errorf("errors file: %w", err)
	}
	return nil
}

// PatchResult says what a fix file changed.
type PatchResult struct {
	Rows    int64 `json:"rows"`    // rows in the file
	Changed int64 `json:"changed"` // rows with a changed cell
	Cells   int64 `json:"cells"`
	Version int64 `json:"version"`
}

// PatchFromFile applies a fix file (as ExportErrors wrote it, edited) to
// the rows it names, as one undoable edit. The header must be the one the
// export wrote (the Errors column may be dropped); every row id must be a
// row of the import. Nothing changes when the file has a problem.
func (s *Service) PatchFromFile(ctx context.Context, slug string, body io.Reader, name string) (PatchResult, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return PatchResult{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return PatchResult{}, err
	}
	// At most MaxFixFilesAtOnce fix files are received and read at a time:
	// each is copied to disk (up to max_file_bytes) and then held in
	// memory, a few times its size, until it is applied.
	select {
	case s.fixSlots <- struct{}{}:
		defer func() { <-s.fixSlots }()
	case <-ctx.Done():
		return PatchResult{}, ctx.Err()
	}
	limit := sc.Def.Settings.MaxFileBytes()
	dir := s.uploadDir(imp.Slug)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return PatchResult{}, fmt.Errorf("fix file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "fix-*.part")
	if err != nil {
		return PatchResult{}, fmt.Errorf("fix file: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(body, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return PatchResult{}, fmt.Errorf("fix file: %w", err)
	}
	if n > limit {
		return PatchResult{}, errs.TooLarge("the fix file is larger than %s", humanSize(limit))
	}
	rd, err := ingest.OpenFile(tmp.Name(), filepath.Base(name), ingest.Options{MaxBytes: limit})
	if err != nil {
		return PatchResult{}, inputError(err)
	}
	defer rd.Close()
	patch, err := readFixFile(rd, sc, imp.RowCount)
	if err != nil {
		return PatchResult{}, err
	}

	imp2, sc, u, unlock, err := s.beginEdit(ctx, slug)
	if err != nil {
		return PatchResult{}, err
	}
	defer unlock()
	res := PatchResult{Rows: int64(len(patch))}
	err = s.commitEdit(ctx, imp2, u, func(tx *store.Tx) error {
		m := s.newMutation(ctx, tx, imp2, sc, u)
		defer m.close()
		var p editPayload
		var unknown []string
		type change struct {
			old   rowState
			cells []string
		}
		var todo []change
		for _, pr := range patch {
			old, err := m.readRow(pr.row)
			if errs.Is(err, errs.ENOTFOUND) {
				if len(unknown) < 5 {
					unknown = append(unknown, fmt.Sprintf("%d (file row %d)", pr.row, pr.line))
				} else if len(unknown) == 5 {
					unknown = append(unknown, "...")
				}
				continue
			}
			if err != nil {
				return err
			}
			if len(unknown) > 0 {
				continue
			}
			cells := append([]string(nil), old.cells...)
			changed := false
			for ci, v := range pr.values {
				if cells[ci] != v {
					p.Changes = append(p.Changes, cellChange{Row: pr.row, Col: ci, Old: cells[ci], New: v})
					cells[ci] = v
					changed = true
					res.Cells++
				}
			}
			if changed {
				todo = append(todo, change{old, cells})
			}
		}
		if len(unknown) > 0 {
			return errs.Invalid("the fix file names row ids that are not in this import: %s. Download the rows with errors again and edit that file", strings.Join(unknown, ", "))
		}
		for _, c := range todo {
			if err := m.update(c.old, c.cells); err != nil {
				return err
			}
		}
		res.Changed = int64(len(todo))
		if len(todo) == 0 {
			return nil
		}
		if _, err := m.finish(); err != nil {
			return err
		}
		seq, err := nextSeq(ctx, tx, imp2.ID)
		if err != nil {
			return err
		}
		// the log is written in parts of 10,000 changes, as replace and delete do
		note := "fix file " + filepath.Base(name)
		for part := 0; len(p.Changes) > 0; part++ {
			k := min(len(p.Changes), 10_000)
			if err := logEdit(ctx, tx, imp2.ID, seq, part, "patch", editPayload{Changes: p.Changes[:k], Note: note}); err != nil {
				return err
			}
			p.Changes = p.Changes[k:]
		}
		return nil
	})
	if err != nil {
		return PatchResult{}, err
	}
	res.Version = imp2.Version
	return res, nil
}

type patchRow struct {
	row    int64
	line   int
	values []string
}

// readFixFile reads and checks a fix file: its header, then rows of a row
// id and one value per importer column. Each row names a row of the
// import at most once, so a file with more than importRows rows is
// refused as soon as that is clear, before the rest is read.
func readFixFile(rd *ingest.Reader, sc *schema.Schema, importRows int64) ([]patchRow, error) {
	want := fixHeader(sc)
	head, err := rd.Next()
	if err == io.EOF {
		return nil, errs.Invalid("the fix file is empty; upload the file you downloaded with the rows with errors")
	}
	if err != nil {
		return nil, inputError(err)
	}
	head = append([]string(nil), head...)
	for len(head) > 0 && strings.TrimSpace(head[len(head)-1]) == "" {
		head = head[:len(head)-1]
	}
	ncols := len(want) - 1 // the Errors column is optional
	if len(head) == len(want) {
		ncols = len(want)
	}
	if len(head) != ncols {
		return nil, errs.Invalid("the fix file has %d columns; the downloaded file has %d (%s). Keep its header row as it is", len(head), len(want), strings.Join(want, ", "))
	}
	for i := 0; i < ncols; i++ {
		got := strings.TrimPrefix(strings.TrimSpace(head[i]), "\ufeff")
		if !strings.EqualFold(got, want[i]) {
			return nil, errs.Invalid("column %d of the fix file is %q; the downloaded file has %q there. Keep its header row as it is", i+1, got, want[i])
		}
	}
	ncell := sc.NumColumns()
	var out []patchRow
	seen := map[int64]int{}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, inputError(err)
		}
		line := rd.Row()
		blank := true
		for _, v := range rec {
			if strings.TrimSpace(v) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		id := strings.TrimSpace(rec[0])
		row, perr := strconv.ParseInt(id, 10, 64)
		if perr != nil || row < 1 {
			return nil, errs.Invalid("row %d of the fix file: the %s %q is not a row id; keep the first column as downloaded", line, FixRowIDHeader, id)
		}
		if prev, dup := seen[row]; dup {
			return nil, errs.Invalid("row %d of the fix file repeats row id %d (already on row %d)", line, row, prev)
		}
		seen[row] = line
		if len(out) >= MaxFixRows {
			return nil, errs.Invalid("the fix file has more than %d rows", MaxFixRows)
		}
		if int64(len(out)) >= importRows {
			return nil, errs.Invalid("the fix file has more rows than the import has (%d); download the rows with errors again and edit that file", importRows)
		}
		pr := patchRow{row: row, line: line, values: make([]string, ncell)}
		for ci := 0; ci < ncell; ci++ {
			if ci+1 < len(rec) {
				pr.values[ci] = csvsafe.Unquote(rec[ci+1])
			}
		}
		out = append(out, pr)
	}
	if len(out) == 0 {
		return nil, errs.Invalid("the fix file has no rows below its header")
	}
	return out, nil
}
