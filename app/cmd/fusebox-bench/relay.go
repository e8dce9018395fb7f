package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"fusebox/app"
	"fusebox/backend/demo"
	"fusebox/backend/importer"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
)

// runBenchRelay is `fusebox-bench relay`: imports go through the real
// importer and the relay (outbox job, expansion, worker) to a loopback
// receiver in this process. The reference is a plain Go client posting the
// same bodies to the same receiver with the same concurrency.
func runBenchRelay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	batched := fs.Int("records", 100_000, "rows of the import delivered with batch: 1000")
	single := fs.Int("requests", 20_000, "rows of the import delivered with batch: 0 (one request each)")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *batched < 1000 || *single < 100 {
		fmt.Fprintln(stderr, "fusebox-bench relay: --records must be at least 1000 and --requests at least 100")
		return 2
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench relay:", err)
		return 1
	}
	defer stopProfile()
	if err := benchRelay(ctx, *batched, *single, *keep, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fusebox-bench relay:", err)
		return 1
	}
	return 0
}

// benchReceiver counts the records it receives (arrays are decoded, as a
// receiver would).
type benchReceiver struct {
	records  atomic.Int64
	requests atomic.Int64
	bad      atomic.Int64
}

func (b *benchReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		b.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	n := int64(1)
	if t := bytes.TrimLeft(body, " \n\t"); len(t) > 0 && t[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil {
			b.bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n = int64(len(arr))
	} else if !json.Valid(body) {
		b.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.records.Add(n)
	b.requests.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (b *benchReceiver) reset() {
	b.records.Store(0)
	b.requests.Store(0)
}

type benchRow struct {
	name      string
	records   int64
	requests  int64
	elapsed   time.Duration
	cpu       time.Duration // CPU time this process used meanwhile (relay and receiver)
	unit      string        // "records/s" or "requests/s"
	reference *benchRow
	note      string
}

func (r benchRow) rate() float64 {
	return float64(r.count()) / r.elapsed.Seconds()
}

// count is the records or the requests, as the unit says.
func (r benchRow) count() int64 {
	if r.unit == "requests/s" {
		return r.requests
	}
	return r.records
}

// cpuPer is the process's CPU time in microseconds per record or request,
// as the unit says.
func (r benchRow) cpuPer() float64 {
	if r.count() == 0 {
		return 0
	}
	return float64(r.cpu.Microseconds()) / float64(r.count())
}

func benchRelay(ctx context.Context, batched, single int, keep bool, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "fusebox-bench-relay-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(stderr, "data dir:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dir, Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()

	recv := &benchReceiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	imp := &schema.Importer{Slug: "relaybench", Name: "Relay benchmark", Settings: schema.Settings{InvalidRows: schema.InvalidRowsExclude, MaxFileSize: "2GB"},
		Columns: []schema.Column{
			{Key: "email", Label: "Email", Type: schema.TypeEmail},
			{Key: "first_name", Label: "First name", Type: schema.TypeString},
			{Key: "last_name", Label: "Last name", Type: schema.TypeString},
			{Key: "company", Label: "Company", Type: schema.TypeString},
			{Key: "seats", Label: "Seats", Type: schema.TypeInteger},
		}}
	if _, err := a.Importer.SaveImporter(ctx, imp); err != nil {
		return err
	}
	// The shape a real destination asks for: params, a param field moved to
	// the query, a secret header (declared, as a workspace file does), nested
	// mapping.
	if err := a.Relay.SetDeclaredSecrets(ctx, []string{demo.RelaySecret}); err != nil {
		return err
	}
	dest := func(id string, batch relay.Batch) relay.Destination {
		return relay.Destination{ID: id, Importer: "relaybench", URL: base + "/" + id, Batch: batch,
			Headers:          map[string]string{"Authorization": `Bearer {{ secret "` + demo.RelaySecret + `" }}`},
			Params:           map[string]string{"user_id": "{{ user_id }}", "source": "{{ file_name }}"},
			QueryParamFields: relay.FieldMap{{Field: "user_id", Name: "user_id"}},
			Map:              map[string]string{"email": "contact.email", "first_name": "contact.name.first", "last_name": "contact.name.last", "company": "account.name"},
		}
	}

	wctx, stopWorker := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Relay.NewWorker(relay.WorkerOptions{}).Run(wctx)
	}()
	defer func() {
		stopWorker()
		wg.Wait()
	}()

	sample := []byte(`{"contact":{"email":"p1@example.com","name":{"first":"First1","last":"Last1"}},"account":{"name":"Company 1"},"seats":1,"source":"bench.csv"}`)
	conc := relay.DefaultConcurrency

	// Reference 1: one record per request from a plain client.
	refSingle, err := plainClient(ctx, base+"/plain", sample, 1, single, conc)
	if err != nil {
		return err
	}
	refSingle.name = "plain Go client, 1 record per request"
	refSingle.unit = "requests/s"
	// Reference 2: arrays of 1000 from a plain client.
	refBatch, err := plainClient(ctx, base+"/plain", sample, 1000, batched, conc)
	if err != nil {
		return err
	}
	refBatch.name = "plain Go client, arrays of 1000"
	refBatch.unit = "records/s"
	recv.reset()

	run := func(id string, batch relay.Batch, rows int) (benchRow, time.Duration, error) {
		recv.reset()
		if _, err := a.Relay.CreateDestination(ctx, dest(id, batch)); err != nil {
			return benchRow{}, 0, err
		}
		defer a.Relay.DeleteDestination(context.WithoutCancel(ctx), id)
		path := filepath.Join(dir, id+".csv")
		if _, err := writeRelayBenchCSV(path, rows); err != nil {
			return benchRow{}, 0, err
		}
		slug, err := stageBenchImport(ctx, a.Importer, path)
		if err != nil {
			return benchRow{}, 0, err
		}
		start := time.Now()
		if _, err := a.Importer.Submit(ctx, slug); err != nil {
			return benchRow{}, 0, err
		}
		submitted, cpu0 := time.Now(), processCPU()
		deadline := submitted.Add(10 * time.Minute)
		for recv.records.Load() < int64(rows) {
			if time.Now().After(deadline) {
				return benchRow{}, 0, fmt.Errorf("%s: only %d of %d records arrived in 10 minutes", id, recv.records.Load(), rows)
			}
			if recv.bad.Load() > 0 {
				return benchRow{}, 0, fmt.Errorf("%s: the receiver got %d malformed bodies", id, recv.bad.Load())
			}
			time.Sleep(2 * time.Millisecond)
		}
		last, cpu := time.Now(), processCPU()-cpu0
		if got := recv.records.Load(); got != int64(rows) {
			return benchRow{}, 0, fmt.Errorf("%s: %d records arrived for %d rows", id, got, rows)
		}
		// The outcomes are recorded too before the destination goes.
		for {
			st, err := a.Relay.Stats(ctx, id)
			if err != nil {
				return benchRow{}, 0, err
			}
			if st.Records[relay.StatusDelivered] == int64(rows) {
				break
			}
			if time.Now().After(deadline) {
				return benchRow{}, 0, fmt.Errorf("%s: outcomes not recorded: %+v", id, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return benchRow{records: int64(rows), requests: recv.requests.Load(), elapsed: last.Sub(submitted), cpu: cpu}, last.Sub(start), nil
	}

	batchRow, batchTotal, err := run("bench-batch-1000", 1000, batched)
	if err != nil {
		return err
	}
	batchRow.name, batchRow.unit, batchRow.reference = "relay, batch: 1000", "records/s", &refBatch
	batchRow.note = "target >= 50,000 records/s"
	singleRow, singleTotal, err := run("bench-batch-0", 0, single)
	if err != nil {
		return err
	}
	singleRow.name, singleRow.unit, singleRow.reference = "relay, batch: 0", "requests/s", &refSingle
	singleRow.note = "target >= 2,000 requests/s"

	fmt.Fprintf(stdout, "relay: imports through the importer and the relay to a loopback receiver in this process (concurrency %d)\n", conc)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trecords\trequests\tseconds\trate\tunit\tratio to reference\tCPU µs per unit\t")
	for _, r := range []benchRow{refSingle, refBatch, singleRow, batchRow} {
		ratio := "reference"
		if r.reference != nil {
			ratio = fmt.Sprintf("%.2f", r.rate()/r.reference.rate())
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.0f\t%s\t%s\t%.2f\t\n", r.name, r.records, r.requests, r.elapsed.Seconds(), r.rate(), r.unit, ratio, r.cpuPer())
	}
	tw.Flush()
	fmt.Fprintf(stdout, "submit -> last delivery, %d-row import, batch: 1000: %.3fs (delivery after the submit committed: %.3fs)\n",
		batched, batchTotal.Seconds(), batchRow.elapsed.Seconds())
	fmt.Fprintf(stdout, "submit -> last delivery, %d-row import, batch: 0: %.3fs\n", single, singleTotal.Seconds())
	fmt.Fprintf(stdout, "targets: batch 1000 >= 50,000 records/s %s (%.0f); batch 0 >= 2,000 requests/s %s (%.0f)\n",
		verdict(batchRow.rate() >= 50_000), batchRow.rate(), verdict(singleRow.rate() >= 2_000), singleRow.rate())
	return nil
}

// plainClient posts n records in requests of per records with conc
// workers: the reference the relay is compared with.
func plainClient(ctx context.Context, url string, record []byte, per, n, conc int) (benchRow, error) {
	body := record
	if per > 1 {
		var b bytes.Buffer
		b.WriteByte('[')
		for i := 0; i < per; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(record)
		}
		b.WriteByte(']')
		body = b.Bytes()
	}
	client := relay.NewHTTPClient()
	reqs := (n + per - 1) / per
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(reqs) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return benchRow{}, fmt.Errorf("plain client: %d requests failed", f)
	}
	return benchRow{records: int64(reqs * per), requests: int64(reqs), elapsed: time.Since(start), cpu: processCPU() - cpu0}, nil
}

func writeRelayBenchCSV(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var b bytes.Buffer
	b.WriteString("Email,First name,Last name,Company,Seats\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "p%d@example.com,First%d,Last%d,Company %d,%d\n", i, i, i, i%1000, i%50+1)
		if b.Len() > 1<<20 {
			if _, err := f.Write(b.Bytes()); err != nil {
				return 0, err
			}
			b.Reset()
		}
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// stageBenchImport takes a file through upload, mapping and staging, ready
// to submit, and returns the import slug.
func stageBenchImport(ctx context.Context, s *importer.Service, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	imp, err := s.CreateImport(ctx, importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "bench-user"}}, "relaybench")
	if err != nil {
		return "", err
	}
	if _, err := s.Upload(ctx, imp.Slug, f, filepath.Base(path), st.Size()); err != nil {
		return "", err
	}
	mv, err := s.GetMapping(ctx, imp.Slug)
	if err != nil {
		return "", err
	}
	if err := s.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		return "", err
	}
	if err := s.Stage(ctx, imp.Slug); err != nil {
		return "", err
	}
	return imp.Slug, nil
}
