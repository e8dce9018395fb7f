package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

type readRow struct {
	cells []string
	row   int
	line  int
}

func readRows(t *testing.T, rd *Reader) ([]readRow, error) {
	t.Helper()
	var rows []readRow
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, readRow{append([]string(nil), row...), rd.Row(), rd.Line()})
	}
}

// A recorded reader stopped after k rows and resumed reads exactly what a
// new reader of the file reads: the same rows, row and line numbers,
// ragged-row issues and end, for every k (none, some, all, past the end),
// and leaves no spill file behind.
func TestXLSXSuspendResumeReadsTheSameRows(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		path := genWorkbook(t, seed, seed == 3)
		for _, sheet := range []string{"", "Second"} {
			fresh, err := OpenFile(path, "", Options{Sheet: sheet})
			if err != nil {
				t.Fatal(err)
			}
			want, err := readRows(t, fresh)
			if err != nil {
				t.Fatal(err)
			}
			wantIssues := fresh.IssueCount()
			fresh.Close()
			for _, k := range []int{0, 1, 7, len(want) - 1, len(want), len(want) + 5} {
				dir := t.TempDir()
				rd, err := OpenFile(path, "", Options{Sheet: sheet})
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := rd.Record(dir); !ok || err != nil {
					t.Fatalf("record: %v %v", ok, err)
				}
				for i := 0; i < k; i++ {
					if _, err := rd.Next(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatal(err)
					}
				}
				sus, err := rd.Suspend()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := rd.Next(); err == nil {
					t.Fatal("a suspended reader still reads")
				}
				rd.Close() // harmless
				if sus.Rows() != min(k, len(want)) {
					t.Fatalf("seed %d k %d: %d rows spilled", seed, k, sus.Rows())
				}
				again, err := sus.Resume()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sus.Resume(); err == nil {
					t.Fatal("resumed twice")
				}
				got, err := readRows(t, again)
				if err != nil {
					t.Fatalf("seed %d sheet %q k %d: %v", seed, sheet, k, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("seed %d sheet %q k %d: rows differ\n got %v\nwant %v", seed, sheet, k, got, want)
				}
				if again.IssueCount() != wantIssues || again.Detected().Format != "xlsx" {
					t.Fatalf("seed %d k %d: %d issues (want %d), %+v", seed, k, again.IssueCount(), wantIssues, again.Detected())
				}
				again.Close()
				sus.Close() // after Resume: nothing to do
				if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
					t.Fatalf("left behind: %v", left)
				}
			}
		}
	}
}

// A suspended reader that is closed instead of resumed removes its spill
// file; text formats are not recorded.
func TestSuspendedCloseAndTextNotRecorded(t *testing.T) {
	path := genWorkbook(t, 5, false)
	dir := t.TempDir()
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := rd.Record(dir); !ok || err != nil {
		t.Fatalf("record: %v %v", ok, err)
	}
	rd.Next()
	sus, err := rd.Suspend()
	if err != nil {
		t.Fatal(err)
	}
	if err := sus.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sus.Resume(); err == nil {
		t.Fatal("resumed after close")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}

	csv := filepath.Join(dir, "a.csv")
	os.WriteFile(csv, []byte("a,b\n1,2\n"), 0o600)
	rd, err = OpenFile(csv, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if ok, err := rd.Record(dir); ok || err != nil {
		t.Fatalf("a CSV reader recorded: %v %v", ok, err)
	}
	if _, err := rd.Suspend(); err == nil {
		t.Fatal("suspended a reader that does not record")
	}
}

// A prefetching reader (fresh or resumed) reads what a plain one reads;
// one closed half-way stops.
func TestXLSXPrefetchReadsTheSameRows(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		path := genWorkbook(t, seed, false)
		plain, err := OpenFile(path, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := readRows(t, plain)
		if err != nil {
			t.Fatal(err)
		}
		plain.Close()
		rd, err := OpenFile(path, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		rd.Prefetch()
		got, err := readRows(t, rd)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: prefetching reader: %v\n got %v\nwant %v", seed, err, got, want)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("after the end: %v", err)
		}
		rd.Close()

		// resumed after 3 rows, then prefetching
		rd, _ = OpenFile(path, "", Options{})
		rd.Record(t.TempDir())
		for range 3 {
			rd.Next()
		}
		sus, err := rd.Suspend()
		if err != nil {
			t.Fatal(err)
		}
		again, _ := sus.Resume()
		again.Prefetch()
		got, err = readRows(t, again)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: resumed prefetching reader: %v", seed, err)
		}
		again.Close()

		// closed after one row
		rd, _ = OpenFile(path, "", Options{})
		rd.Prefetch()
		rd.Next()
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := rd.Next(); err == nil {
			t.Fatal("a closed reader reads")
		}
	}
}

// An error part-way (a row over the column limit) comes at the same row
// with and without prefetching.
func TestXLSXPrefetchKeepsErrorsInPlace(t *testing.T) {
	path := genWorkbook(t, 2, false)
	read := func(prefetch bool) ([]readRow, error) {
		rd, err := OpenFile(path, "", Options{Limits: Limits{MaxColumns: 8}})
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		if prefetch {
			rd.Prefetch()
		}
		return readRows(t, rd)
	}
	want, wantErr := read(false)
	got, gotErr := read(true)
	if wantErr == nil {
		t.Fatal("no row over the limit")
	}
	if gotErr == nil || gotErr.Error() != wantErr.Error() || !reflect.DeepEqual(got, want) {
		t.Fatalf("prefetching: %d rows then %v; plain: %d rows then %v", len(got), gotErr, len(want), wantErr)
	}
}

// Recording stops once the spilled rows outgrow the worksheet (a long
// shared string on every row would otherwise fill the disk): Suspend then
// fails, the spill file is emptied at once, and reading goes on.
func TestXLSXSpillIsBounded(t *testing.T) {
	old := spillSlack
	spillSlack = 0
	defer func() { spillSlack = old }()
	f := excelize.NewFile()
	long := strings.Repeat("x", 2000)
	for i := 1; i <= 200; i++ {
		f.SetCellValue("Sheet1", fmt.Sprintf("A%d", i), long) // one shared string
	}
	path := filepath.Join(t.TempDir(), "long.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dir := t.TempDir()
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if ok, err := rd.Record(dir); !ok || err != nil {
		t.Fatalf("record: %v %v", ok, err)
	}
	rows, err := readRows(t, rd)
	if err != nil || len(rows) != 200 || rows[199].cells[0] != long {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	spills, _ := filepath.Glob(filepath.Join(dir, "*.spill"))
	if len(spills) != 1 {
		t.Fatalf("spill files %v", spills)
	}
	if st, err := os.Stat(spills[0]); err != nil || st.Size() != 0 {
		t.Fatalf("the spill file holds %d bytes (%v)", st.Size(), err)
	}
	if _, err := rd.Suspend(); err == nil || !strings.Contains(err.Error(), "larger than the worksheet") {
		t.Fatalf("suspend: %v", err)
	}
}
