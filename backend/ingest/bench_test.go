package ingest

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"sync"
	"testing"
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
