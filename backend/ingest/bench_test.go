package ingest

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchCSV is ~100k rows x 10 mixed columns (about 10 MB), built once.
var benchCSV = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "name", "email", "age", "score", "joined", "city", "active", "note", "amount"})
	rec := make([]string, 10)
	for i := range 100_000 {
		rec[0] = strconv.Itoa(i + 1)
		rec[1] = "Person " + strconv.Itoa(i%997)
		rec[2] = "user" + strconv.Itoa(i) + "@example.com"
		rec[3] = strconv.Itoa(18 + i%60)
		rec[4] = strconv.FormatFloat(float64(i%1000)/7, 'f', 3, 64)
		rec[5] = "2024-0" + strconv.Itoa(1+i%9) + "-1" + strconv.Itoa(i%10)
		rec[6] = []string{"Zürich", "Köln", "Springfield", "São Paulo"}[i%4]
		rec[7] = []string{"true", "false", "yes"}[i%3]
		rec[8] = []string{"", "plain note", "note, with comma", "multi\nline"}[i%4]
		rec[9] = strconv.Itoa(i*37%100000) + ".50"
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
})

// BenchmarkParseCSV measures the whole ingest path for CSV (detection,
// UTF-8 checks, row guard, raggedness bookkeeping); MB/s is input bytes.
func BenchmarkParseCSV(b *testing.B) {
	data := benchCSV()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := Open(bytes.NewReader(data), "bench.csv", Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if rows != 100_001 {
			b.Fatalf("rows = %d", rows)
		}
	}
}

// BenchmarkParseCSVBaseline is bare encoding/csv on the same bytes, for comparison.
func BenchmarkParseCSVBaseline(b *testing.B) {
	data := benchCSV()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.ReuseRecord = true
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseXLSX streams a 20k-row x 10-column sheet with a date column
// and number formats; MB/s is the .xlsx file size.
func BenchmarkParseXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 4})
	const rows = 20_000
	sw.SetRow("A1", []any{"id", "name", "joined", "amount", "email", "note", "n", "a", "b", "c"})
	for i := 2; i <= rows+1; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, []any{i, "Person " + strconv.Itoa(i%997), excelize.Cell{StyleID: date, Value: 45000 + i%1000},
			excelize.Cell{StyleID: money, Value: float64(i) / 8}, "user@example.com", "plain note", i * 2, "a", "b", "c"})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		rd, err := OpenFile(path, "", Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if n == 1 && row[2] != "2023-03-17" {
				b.Fatalf("date cell = %q", row[2])
			}
			n++
		}
		rd.Close()
		if n != rows+1 {
			b.Fatalf("rows = %d", n)
		}
	}
	b.ReportMetric(float64(rows+1)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
