package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// runImport is `fusebox import`: parse -> auto-map (or --mapping) ->
// validate -> submit one file, printing a JSON summary as the last line
// of stdout. Exit 1 when invalid_rows: block stops the submit.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var slug, mappingFile string
	var progress bool
	fs, dataDir, err := cliFlags("import", "FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "importer", "", "importer slug (required)")
		fs.BoolVar(&progress, "progress", false, "print the progress to stderr as it changes: progress import=SLUG phase=PHASE bytes=READ/TOTAL rows=N records=WRITTEN/TOTAL")
		fs.StringVar(&mappingFile, "mapping", "", `JSON mapping: {"columns":[{"header":"E-mail","key":"email"}],"values":{"plan":{"Gold":"enterprise"}}} or {"E-mail":"email"}; default: the suggested mapping`)
	})
	if err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 1 || slug == "" {
		fmt.Fprintln(stderr, "fusebox import: expected --importer SLUG and exactly one FILE")
		fs.Usage()
		return 2
	}
	var m *schema.Mapping
	if mappingFile != "" {
		var err error
		if m, err = readMapping(mappingFile); err != nil {
			fmt.Fprintln(stderr, "fusebox import:", err)
			return 2
		}
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox import:", err)
		return 1
	}
	defer a.Close()
	// imports a stopped process left half done are finished (or marked
	// failed with the reason) first
	recovered, err := a.Importer.Recover(ctx)
	for _, r := range recovered {
		fmt.Fprintf(stderr, "fusebox import: resumed the interrupted import %s: %s", r.Import, r.Status)
		if r.Reason != "" {
			fmt.Fprintf(stderr, " (%s)", r.Reason)
		}
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fusebox import: resume interrupted imports:", err)
		return 1
	}
	var report func(string, importer.Progress)
	if progress {
		report = func(slug string, p importer.Progress) {
			fmt.Fprintf(stderr, "progress import=%s phase=%s bytes=%d/%d rows=%d records=%d/%d\n", slug, p.Phase, p.BytesRead, p.BytesTotal, p.Rows, p.Records, p.RecordsTotal)
		}
	}
	res, err := a.Importer.ImportFileProgress(ctx, importer.Actor{Admin: true, Metadata: map[string]any{"source": "cli"}}, slug, fs.Arg(0), m, report)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox import:", errs.Message(err))
		if errs.Code(err) == errs.EINTERNAL {
			fmt.Fprintln(stderr, "fusebox import:", err)
		}
		if res.Import.Slug == "" {
			return 1
		}
	}
	if res.Blocked != "" {
		fmt.Fprintln(stderr, "fusebox import:", res.Blocked)
	}
	status := res.Import.Status
	if err != nil {
		status = "failed"
	}
	out := map[string]any{"import": res.Import.Slug, "rows": res.Rows, "errors": res.Errors, "warnings": res.Warnings, "status": status}
	if len(res.Issues) > 0 {
		out["issues"] = res.Issues // the first findings, hooks' and callbacks' included
	}
	if res.Matches != nil {
		out["matches"] = res.Matches
	}
	if res.Callback != nil {
		out["callback"] = res.Callback
	}
	summary, _ := json.Marshal(out)
	fmt.Fprintln(stdout, string(summary))
	if err != nil || res.Blocked != "" {
		return 1
	}
	return 0
}

func readMapping(path string) (*schema.Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	var m schema.Mapping
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err == nil {
		return &m, nil
	}
	var simple map[string]string
	if err := json.Unmarshal(b, &simple); err != nil {
		return nil, fmt.Errorf("mapping %s: want {\"columns\": [{\"header\": ..., \"key\": ...}]} or {\"Header\": \"key\"}: %v", path, err)
	}
	for h, k := range simple {
		m.Columns = append(m.Columns, schema.MappedColumn{Header: h, Key: k})
	}
	return &m, nil
}
