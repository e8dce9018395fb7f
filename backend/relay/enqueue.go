package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
	StatusDead      = "dead"
	StatusDiscarded = "discarded"
	StatusHeld      = "held"
)

// Delivery sources.
const (
	SourceImport  = "import"
	SourceInbound = "inbound"
	SourceStatus  = "status"
)

// MaxBodyBytes bounds one request body: a batch closes early when adding a
// record would pass it (so batch: all splits an import beyond it).
const MaxBodyBytes = 32 << 20

// newDelivery is a delivery about to be inserted.
type newDelivery struct {
	seq     int64
	records int
	status  string
	reason  string
	url     string
	query   string
	headers string
	body    []byte
}

// batcher groups shaped records into deliveries for one destination.
type batcher struct {
	batch   Batch
	url     string
	nextSeq int64
	out     []newDelivery
	bytes   int

	open      []byte
	openN     int
	openKey   string
	openQuery string
	openHdrs  string
	openFrom  int64 // seq of the first record of the open batch
}

func newBatcher(b Batch, url string, nextSeq int64) *batcher {
	return &batcher{batch: b, url: url, nextSeq: nextSeq}
}

func encodeHeaders(h [][2]string) string {
	if len(h) == 0 {
		return ""
	}
	b, _ := json.Marshal(h)
	return string(b)
}

// add queues one shaped record whose position in its source is recSeq.
func (b *batcher) add(r shaped, recSeq int64) {
	if b.batch == 0 {
		b.emit(newDelivery{records: 1, status: StatusPending, url: b.url, query: r.query, headers: encodeHeaders(r.headers), body: r.body})
		return
	}
	key := r.groupKey()
	if b.openN > 0 && (key != b.openKey || len(b.open)+len(r.body)+2 > MaxBodyBytes) {
		b.close()
	}
	if b.openN == 0 {
		b.open = append(make([]byte, 0, max(1024, min(len(r.body)*int(max(1, b.batch))+2, 4<<20))), '[')
		b.openKey, b.openQuery, b.openHdrs, b.openFrom = key, r.query, encodeHeaders(r.headers), recSeq
	} else {
		b.open = append(b.open, ',')
	}
	b.open = append(b.open, r.body...)
	b.openN++
	if b.batch > 0 && b.openN >= int(b.batch) {
		b.close()
	}
}

// discard records a record that will not be sent.
func (b *batcher) discard(body []byte, reason string) {
	b.emit(newDelivery{records: 1, status: StatusDiscarded, reason: reason, url: b.url, body: body})
}

func (b *batcher) emit(d newDelivery) {
	d.seq = b.nextSeq
	b.nextSeq++
	b.bytes += len(d.body)
	b.out = append(b.out, d)
}

// close ends the open batch.
func (b *batcher) close() {
	if b.openN == 0 {
		return
	}
	body := append(b.open, ']')
	b.emit(newDelivery{records: b.openN, status: StatusPending, url: b.url, query: b.openQuery, headers: b.openHdrs, body: body})
	b.open, b.openN = nil, 0
}

// take returns the deliveries closed so far and forgets them.
func (b *batcher) take() []newDelivery {
	out := b.out
	b.out, b.bytes = nil, 0
	return out
}

// insertDeliveries writes deliveries in multi-row INSERTs.
func insertDeliveries(ctx context.Context, tx *store.Tx, destID, source, importSlug string, ds []newDelivery, now time.Time) error {
	const perStmt = 200
	ts := store.FormatTime(now)
	ms := unixMs(now)
	for start := 0; start < len(ds); start += perStmt {
		chunk := ds[start:min(start+perStmt, len(ds))]
		var q strings.Builder
		q.WriteString(`INSERT INTO relay_deliveries (uid, destination_id, source, import_slug, seq, records, status, reason, next_at, url, query, headers, body, created_at, updated_at, done_at) VALUES `)
		args := make([]any, 0, len(chunk)*16)
		for i, d := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			done := ""
			if d.status != StatusPending {
				done = ts
			}
			args = append(args, ids.New("msg_"), destID, source, importSlug, d.seq, d.records, d.status, d.reason, ms, d.url, d.query, d.headers, d.body, ts, ts, done)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("queue deliveries for %s: %w", destID, err)
		}
	}
	return nil
}

// tokenCheck verifies session tokens with a per-call cache.
type tokenCheck struct {
	s        *Service
	importer string
	seen     map[string]tokenVerdict
}

type tokenVerdict struct {
	md     map[string]any
	reason string
}

func (s *Service) newTokenCheck(importer string) *tokenCheck {
	return &tokenCheck{s: s, importer: importer, seen: map[string]tokenVerdict{}}
}

// check returns the session metadata, or a reason to discard the record.
func (t *tokenCheck) check(ctx context.Context, field, token string, has bool) (map[string]any, string) {
	if !has || token == "" {
		return nil, fmt.Sprintf("no session token in field %q", field)
	}
	if v, ok := t.seen[token]; ok {
		return v.md, v.reason
	}
	var v tokenVerdict
	if t.s.tokens == nil {
		v.reason = "session tokens cannot be checked: this server has no session verifier"
	} else {
		md, err := t.s.tokens.VerifyImporterToken(ctx, token, t.importer)
		if err != nil {
			v.reason = "invalid session token: " + errs.Message(err)
			if errs.Code(err) == errs.EINTERNAL {
				v.reason = "invalid session token: " + err.Error()
			}
		} else {
			v.md = md
		}
	}
	if len(t.seen) < 10_000 {
		t.seen[token] = v
	}
	return v.md, v.reason
}

// shapeOne shapes a record for c: verifies its session token (when the
// destination checks one), fills params from base (or, with
// tokenContext, from the token's session) and adds it to b.
func (s *Service) shapeOne(ctx context.Context, c *compiled, b *batcher, tc *tokenCheck, rec []byte, seq int64, base *Context, tokenContext bool, extraQuery []string) error {
	sh := c.shaper
	pctx := base
	if sh.tokenField != "" {
		fields, err := parseObject(rec)
		if err != nil {
			b.discard(safeBody(rec), "not a JSON object: "+err.Error())
			return nil
		}
		var tokRaw []byte
		has := false
		kept := fields[:0:0]
		for _, f := range fields {
			if f.key == sh.tokenField {
				tokRaw, has = f.raw, string(f.raw) != "null"
				continue
			}
			kept = append(kept, f)
		}
		md, reason := tc.check(ctx, sh.tokenField, valueText(tokRaw), has)
		if reason != "" {
			b.discard(writeFields(nil, kept), reason)
			return nil
		}
		if tokenContext {
			pctx = contextFromMetadata(base, md)
		}
	}
	r, err := sh.shape(rec, pctx, extraQuery)
	if err != nil {
		b.discard(safeBody(rec), "not a JSON object: "+err.Error())
		return nil
	}
	b.add(r, seq)
	return nil
}

func contextFromMetadata(base *Context, md map[string]any) *Context {
	c := *base
	c.Metadata = md
	if v, ok := md["user_id"]; ok && v != nil {
		c.UserID = textOf(v)
	}
	if v, ok := md["user_group"]; ok && v != nil {
		c.UserGroup = textOf(v)
	}
	return &c
}

// safeBody keeps a bad record for the console, capped.
func safeBody(rec []byte) []byte {
	if len(rec) > 4096 {
		rec = rec[:4096]
	}
	b, _ := json.Marshal(string(rec))
	return b
}

// OnImportSubmitted queues the deliveries of a submitted import. It runs
// inside the transaction that completes the import (importer OnSubmit
// hook), so the outbox commits or rolls back with the import: a job per
// records destination of its importer (and per matching marketplace
// route), and a status event per status destination.
func (s *Service) OnImportSubmitted(ctx context.Context, tx *store.Tx, info ImportInfo) error {
	if info.At.IsZero() {
		info.At = s.now()
	}
	if info.Status == "" {
		info.Status = "completed"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, spec, origin, match_user_id FROM relay_destinations
		WHERE importer = ? OR (origin = ? AND importer = '')`, info.Importer, OriginMarketplace)
	if err != nil {
		return fmt.Errorf("relay: find destinations of importer %s: %w", info.Importer, err)
	}
	type target struct {
		id     string
		status bool
	}
	var targets []target
	for rows.Next() {
		var id, spec, origin, match string
		if err := rows.Scan(&id, &spec, &origin, &match); err != nil {
			rows.Close()
			return fmt.Errorf("relay: find destinations: %w", err)
		}
		if origin == OriginMarketplace && match != info.UserID {
			continue
		}
		var d Destination
		if err := json.Unmarshal([]byte(spec), &d); err != nil {
			rows.Close()
			return fmt.Errorf("relay: destination %s: %w", id, err)
		}
		targets = append(targets, target{id: id, status: d.SendsStatus()})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("relay: find destinations: %w", err)
	}
	if len(targets) == 0 {
		return nil
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("relay: encode import %s: %w", info.Slug, err)
	}
	now := s.now()
	ts := store.FormatTime(now)
	for _, t := range targets {
		if t.status {
			if err := insertDeliveries(ctx, tx, t.id, SourceStatus, info.Slug, []newDelivery{{records: 0, status: StatusPending, body: statusEvent(info)}}, now); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO relay_jobs (destination_id, import_slug, info, status, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
			t.id, info.Slug, string(infoJSON), ts, ts); err != nil {
			return fmt.Errorf("relay: queue import %s for %s: %w", info.Slug, t.id, err)
		}
	}
	tx.AfterCommit(s.Wake)
	return nil
}

// OnImportStatus queues a status event for every status destination of
// the import's importer (for status changes other than completion, such
// as a failed import), inside tx.
func (s *Service) OnImportStatus(ctx context.Context, tx *store.Tx, info ImportInfo) error {
	if info.At.IsZero() {
		info.At = s.now()
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, spec, origin, match_user_id FROM relay_destinations WHERE importer = ? OR (origin = ? AND importer = '')`, info.Importer, OriginMarketplace)
	if err != nil {
		return fmt.Errorf("relay: find status destinations: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id, spec, origin, match string
		if err := rows.Scan(&id, &spec, &origin, &match); err != nil {
			rows.Close()
			return err
		}
		var d Destination
		if json.Unmarshal([]byte(spec), &d) == nil && d.SendsStatus() && (origin != OriginMarketplace || match == info.UserID) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if err := insertDeliveries(ctx, tx, id, SourceStatus, info.Slug, []newDelivery{{status: StatusPending, body: statusEvent(info)}}, s.now()); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		tx.AfterCommit(s.Wake)
	}
	return nil
}

// StatusEvent is the body a status destination receives.
type StatusEvent struct {
	Type        string         `json:"type"`
	ImportSlug  string         `json:"import_slug"`
	Importer    string         `json:"importer"`
	Status      string         `json:"status"`
	RowCount    int64          `json:"row_count"`
	RecordCount int64          `json:"record_count"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	Timestamp   time.Time      `json:"timestamp"`
}

func statusEvent(info ImportInfo) []byte {
	b, _ := json.Marshal(StatusEvent{Type: "import.status", ImportSlug: info.Slug, Importer: info.Importer, Status: info.Status,
		RowCount: info.RowCount, RecordCount: info.RecordCount, Metadata: info.Metadata, Timestamp: info.At.UTC()})
	return b
}

// EnqueueResult counts what happened to records handed to the relay.
type EnqueueResult struct {
	Accepted   int `json:"accepted"`
	Discarded  int `json:"discarded"`
	Deliveries int `json:"deliveries"`
}

// EnqueueOptions tune EnqueueRecords.
type EnqueueOptions struct {
	Source string // default SourceInbound
	// URL overrides the destination URL (already checked against the
	// allowlist by the caller).
	URL string
	// ExtraQueryFields are fields moved to the query on top of the
	// destination's query_param_fields.
	ExtraQueryFields []string
	// Context fills params; when the destination checks session tokens,
	// a valid token's session metadata replaces Context.Metadata.
	Context Context
	// ImportSlug labels the deliveries.
	ImportSlug string
}

// Prepared are records shaped for a destination, ready to be written to
// the outbox with Write inside the caller's transaction.
type Prepared struct {
	s      *Service
	destID string
	source string
	slug   string
	ds     []newDelivery
	Result EnqueueResult
}

// PrepareRecords shapes records for destination destID: params filled,
// session tokens checked (outside any transaction: checking may read or
// write the database), param fields moved, fields mapped.
func (s *Service) PrepareRecords(ctx context.Context, destID string, records [][]byte, o EnqueueOptions) (*Prepared, error) {
	c, err := s.destination(ctx, destID)
	if err != nil {
		return nil, err
	}
	if c.d.SendsStatus() {
		return nil, errs.Invalid("destination %q sends status events, not records", destID)
	}
	if o.Source == "" {
		o.Source = SourceInbound
	}
	b := newBatcher(c.d.Batch, o.URL, 1)
	tc := s.newTokenCheck(c.d.Importer)
	base := o.Context
	for i, rec := range records {
		if err := s.shapeOne(ctx, c, b, tc, rec, int64(i+1), &base, true, o.ExtraQueryFields); err != nil {
			return nil, err
		}
	}
	b.close()
	p := &Prepared{s: s, destID: destID, source: o.Source, slug: o.ImportSlug, ds: b.take()}
	for _, d := range p.ds {
		if d.status == StatusDiscarded {
			p.Result.Discarded++
		} else {
			p.Result.Accepted += d.records
			p.Result.Deliveries++
		}
	}
	return p, nil
}

// Write queues the prepared deliveries in tx (the outbox: they commit
// with the caller's change).
func (p *Prepared) Write(ctx context.Context, tx *store.Tx) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM relay_deliveries WHERE destination_id = ? AND import_slug = ?`, p.destID, p.slug).Scan(&seq); err != nil {
		return fmt.Errorf("queue records for %s: %w", p.destID, err)
	}
	for i := range p.ds {
		p.ds[i].seq = seq + int64(i) + 1
	}
	if err := insertDeliveries(ctx, tx, p.destID, p.source, p.slug, p.ds, p.s.now()); err != nil {
		return err
	}
	tx.AfterCommit(p.s.Wake)
	return nil
}

// EnqueueRecords shapes records for destination destID and queues their
// deliveries in one transaction.
func (s *Service) EnqueueRecords(ctx context.Context, destID string, records [][]byte, o EnqueueOptions) (EnqueueResult, error) {
	p, err := s.PrepareRecords(ctx, destID, records, o)
	if err != nil {
		return EnqueueResult{}, err
	}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return p.Write(ctx, tx) }); err != nil {
		return EnqueueResult{}, err
	}
	return p.Result, nil
}
