package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The console's "run on these sample rows": POST /api/admin/importers/hooks/try
// takes an unsaved definition and a few rows, runs the JavaScript hooks in
// the import sandbox and answers per row what they said.

const tryURL = "/api/admin/importers/hooks/try"

type tryFinding struct {
	Column  string `json:"column"`
	Message string `json:"message"`
}

type tryRow struct {
	Row      int               `json:"row"`
	Values   map[string]string `json:"values"`
	Changed  []string          `json:"changed"`
	Errors   []tryFinding      `json:"errors"`
	Warnings []tryFinding      `json:"warnings"`
}

type tryAnswer struct {
	Hooks []string `json:"hooks"`
	Rows  []tryRow `json:"rows"`
}

// tryDef is an unsaved definition (no name yet: the rest of the draft may
// still be unfinished) with the given hooks.
func tryDef(hooks map[string]any) map[string]any {
	return map[string]any{
		"slug": "orders",
		"name": "",
		"columns": []map[string]any{
			{"key": "sku", "label": "SKU"},
			{"key": "qty", "label": "Quantity", "type": "integer"},
		},
		"hooks": hooks,
	}
}

func tryBody(def map[string]any, rows ...map[string]string) map[string]any {
	if rows == nil {
		rows = []map[string]string{}
	}
	return map[string]any{"definition": def, "rows": rows}
}

func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an error body: %v: %s", err, body)
	}
	return e.Error.Message
}

func TestHooksTryRunsRowAndColumnHooks(t *testing.T) {
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{
		"row": `function (row) {
  if (row.sku.startsWith("X-")) return {errors: {sku: "this SKU is discontinued"}}
  if (Number(row.qty) > 100) return {warnings: {qty: "a large order"}}
  return {values: {sku: row.sku.trim().toUpperCase()}}
}`,
		"column": map[string]string{"qty": `function (value, row) {
  if (value === "0") return "the quantity cannot be zero"
}`},
	})
	var got tryAnswer
	admin.json("POST", tryURL, tryBody(def,
		map[string]string{"sku": " ab-1 ", "qty": "2"},
		map[string]string{"sku": "X-9", "qty": "0"},
		map[string]string{"sku": "C-3", "qty": "500"},
		map[string]string{"sku": "C-4"}, // a missing key is an empty cell
	), http.StatusOK, &got)

	if strings.Join(got.Hooks, ",") != "column.qty,row" {
		t.Errorf("hooks = %v, want [column.qty row]", got.Hooks)
	}
	if len(got.Rows) != 4 {
		t.Fatalf("rows = %+v, want 4", got.Rows)
	}
	r1 := got.Rows[0]
	if r1.Row != 1 || r1.Values["sku"] != "AB-1" || strings.Join(r1.Changed, ",") != "sku" || len(r1.Errors)+len(r1.Warnings) != 0 {
		t.Errorf("row 1 = %+v, want sku replaced by AB-1 and nothing else", r1)
	}
	r2 := got.Rows[1]
	wantErrs := []tryFinding{{"qty", "the quantity cannot be zero"}, {"sku", "this SKU is discontinued"}}
	if fmt.Sprint(r2.Errors) != fmt.Sprint(wantErrs) || len(r2.Changed) != 0 || r2.Values["sku"] != "X-9" {
		t.Errorf("row 2 = %+v, want errors %v", r2, wantErrs)
	}
	r3 := got.Rows[2]
	if fmt.Sprint(r3.Warnings) != fmt.Sprint([]tryFinding{{"qty", "a large order"}}) || len(r3.Errors) != 0 {
		t.Errorf("row 3 = %+v, want the warning on qty", r3)
	}
	if r4 := got.Rows[3]; r4.Values["qty"] != "" || r4.Values["sku"] != "C-4" {
		t.Errorf("row 4 = %+v", r4)
	}
}

func TestHooksTryThrowingHookNamesHookAndLine(t *testing.T) {
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{"column": map[string]string{"sku": `function (value) {
  const n = value.length
  if (n > 2) throw new Error("sku " + value + " is too long")
}`}})
	var got tryAnswer
	admin.json("POST", tryURL, tryBody(def, map[string]string{"sku": "ok"}, map[string]string{"sku": "long-one"}), http.StatusOK, &got)
	if len(got.Rows[0].Errors) != 0 {
		t.Errorf("row 1 errors = %v, want none", got.Rows[0].Errors)
	}
	want := `hook "column.sku" threw Error: sku long-one is too long (line 3)`
	if len(got.Rows[1].Errors) != 1 || got.Rows[1].Errors[0] != (tryFinding{"sku", want}) {
		t.Errorf("row 2 errors = %v, want %q on sku", got.Rows[1].Errors, want)
	}
}

func TestHooksTryInfiniteLoopRunsOutOfItsBudget(t *testing.T) {
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{"call_timeout": "30ms", "row": `function (row) {
  let n = 0
  while (true) { n++ }
}`})
	var got tryAnswer
	admin.json("POST", tryURL, tryBody(def, map[string]string{"sku": "a"}, map[string]string{"sku": "b"}), http.StatusOK, &got)
	for i, r := range got.Rows {
		want := `hook "row" ran out of its time budget (30ms per row) (line 3)`
		if len(r.Errors) != 1 || r.Errors[0].Message != want {
			t.Errorf("row %d errors = %v, want %q", i+1, r.Errors, want)
		}
	}
}

func TestHooksTrySyntaxErrorNamesLine(t *testing.T) {
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{"row": `function (row) {
  if (row.sku === ) return "x"
}`})
	code, body := admin.do("POST", tryURL, "application/json", jsonReader(t, tryBody(def, map[string]string{"sku": "a"})))
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422: %s", code, body)
	}
	if msg := errorMessage(t, body); !strings.HasPrefix(msg, `hook "row": syntax error at line 2: `) {
		t.Errorf("message = %q, want it to name hook \"row\" and line 2", msg)
	}
	// A hook on a column the definition does not have is named too.
	def = tryDef(map[string]any{"column": map[string]string{"price": "function (v) {}"}})
	code, body = admin.do("POST", tryURL, "application/json", jsonReader(t, tryBody(def, map[string]string{"sku": "a"})))
	if code != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(t, body), `hook "column.price": no column with key "price"`) {
		t.Errorf("status %d: %s", code, body)
	}
}

func TestHooksTryRefusesTooManyRowsAndBadRows(t *testing.T) {
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{"row": "function (row) {}"})
	rows := make([]map[string]string, 101)
	for i := range rows {
		rows[i] = map[string]string{"sku": fmt.Sprint(i)}
	}
	for _, c := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"too many rows", tryBody(def, rows...), "at most 100 sample rows can be tried at once (got 101)"},
		{"no rows", tryBody(def), "no sample rows: send at least one row"},
		{"unknown key", tryBody(def, map[string]string{"sku": "a"}, map[string]string{"price": "3"}), `row 2: "price" is not a column of the importer (columns: sku, qty)`},
		{"no hooks", tryBody(tryDef(nil), map[string]string{"sku": "a"}), "the definition has no JavaScript hooks (hooks.row or hooks.column) to try"},
		{"no definition", map[string]any{"rows": []map[string]string{{"sku": "a"}}}, "definition: required"},
	} {
		code, body := admin.do("POST", tryURL, "application/json", jsonReader(t, c.body))
		if code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422: %s", c.name, code, body)
			continue
		}
		if msg := errorMessage(t, body); !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q, want it to contain %q", c.name, msg, c.want)
		}
	}
	// A body over the size limit is refused before it is read.
	big := strings.Repeat("x", 6<<20)
	code, body := admin.do("POST", tryURL, "application/json", jsonReader(t, tryBody(def, map[string]string{"sku": big})))
	if code != http.StatusRequestEntityTooLarge || len(body) > 1000 {
		t.Errorf("big body: status %d, want 413 (body %d bytes)", code, len(body))
	} else if msg := errorMessage(t, body); msg != "the request is larger than 5 MB" {
		t.Errorf("big body: message %q", msg)
	}
}

func TestHooksTryIsAdminOnly(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	def := tryDef(map[string]any{"row": "function (row) {}"})
	for _, tok := range []string{"", "sess-1", "wrong"} {
		code, body := client{t, h, tok}.do("POST", tryURL, "application/json", jsonReader(t, tryBody(def, map[string]string{"sku": "a"})))
		if code != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401: %s", tok, code, body)
		}
	}
}

// Trying hooks never calls the importer's validation service.
func TestHooksTryDoesNotCallTheValidationService(t *testing.T) {
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(`{"rows":[]}`))
	}))
	defer hook.Close()
	s, _ := newImporterServer(t, true)
	admin := client{t, s.PortHandler(), adminToken}
	def := tryDef(map[string]any{"row": `function (row) { return {warnings: {sku: "seen"}} }`, "validate": map[string]any{"url": hook.URL}})
	var got tryAnswer
	admin.json("POST", tryURL, tryBody(def, map[string]string{"sku": "a"}), http.StatusOK, &got)
	if len(got.Rows) != 1 || len(got.Rows[0].Warnings) != 1 {
		t.Errorf("rows = %+v", got.Rows)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the validation service was called %d times, want 0", n)
	}
}

func jsonReader(t *testing.T, v any) *strings.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// At most two tries run at once; a third is refused with 429 until one
// has finished. The two hold their slots while their bodies are still
// being sent.
func TestHooksTryRunsTwoAtOnce(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	body, _ := json.Marshal(tryBody(tryDef(map[string]any{"row": "function (row) {}"}), map[string]string{"sku": "a"}))
	type held struct {
		w    *io.PipeWriter
		done chan int
	}
	hold := func() held {
		r, w := io.Pipe()
		done := make(chan int, 1)
		go func() {
			req := httptest.NewRequest("POST", tryURL, r)
			req.Host = "127.0.0.1:8787"
			req.Header.Set("Authorization", "Bearer "+adminToken)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			done <- rec.Code
		}()
		// The first byte is read once the handler runs, so it holds its slot.
		if _, err := w.Write(body[:1]); err != nil {
			t.Fatal(err)
		}
		return held{w, done}
	}
	a, b := hold(), hold()
	admin := client{t, h, adminToken}
	code, got := admin.do("POST", tryURL, "application/json", strings.NewReader(string(body)))
	if code != http.StatusTooManyRequests || errorMessage(t, got) != "2 hook tries are already running; try again when one has finished" {
		t.Fatalf("third try: status %d %s, want 429", code, got)
	}
	for _, x := range []held{a, b} {
		x.w.Write(body[1:])
		x.w.Close()
		if code := <-x.done; code != http.StatusOK {
			t.Errorf("held try: status %d, want 200", code)
		}
	}
	admin.json("POST", tryURL, tryBody(tryDef(map[string]any{"row": "function (row) {}"}), map[string]string{"sku": "a"}), http.StatusOK, nil)
}
