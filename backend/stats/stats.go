// Package stats answers the console dashboard: imports per day, the
// importer flow's drop-off funnel, delivery health per destination,
// marketplace installs and a recent-activity feed. Every figure is SQL over
// the tables the domains already keep (no second store); what keeps it
// fast on a large data dir is in migrations 0008 and 0013: a covering index
// for the imports and relay_delivery_days, the per-day delivery counts
// that triggers keep exact in the same transaction as each delivery
// write. It reads only.
package stats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Service reads the dashboard's figures.
type Service struct {
	db *store.DB
	// now is the clock (tests pin it).
	now func() time.Time
}

// New returns the stats reader over db.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// MaxDays is the longest range the dashboard answers for.
const MaxDays = 366

// readers is how many read connections one dashboard answer uses at once
// (the store's read pool holds at least 4).
const readers = 4

// latencySample is how many of a destination's latest finished deliveries
// its p50/p95 latency is taken over (each is a few primary-key lookups).
const latencySample = 200

// Query chooses the range (UTC days, both ends included) and, optionally,
// one importer.
type Query struct {
	From     string // YYYY-MM-DD; empty: To minus 29 days
	To       string // YYYY-MM-DD; empty: today
	Importer string // importer slug; empty: all importers
}

// Dashboard is the whole answer.
type Dashboard struct {
	From        string        `json:"from"`
	To          string        `json:"to"`
	Importer    string        `json:"importer"`
	Days        []string      `json:"days"`
	Imports     ImportStats   `json:"imports"`
	Funnel      Funnel        `json:"funnel"`
	Deliveries  DeliveryStats `json:"deliveries"`
	Marketplace Marketplace   `json:"marketplace"`
	Activity    []Activity    `json:"activity"`
}

// ImportStats are the imports created in the range.
type ImportStats struct {
	Started   int64       `json:"started"`
	Submitted int64       `json:"submitted"`
	Failed    int64       `json:"failed"`
	InFlight  int64       `json:"in_flight"`
	Rows      int64       `json:"rows"`       // rows staged (all imports)
	ErrorRows int64       `json:"error_rows"` // of those, rows with an error
	Records   int64       `json:"records"`    // records submitted
	ErrorRate float64     `json:"error_rate"` // ErrorRows / Rows
	PerDay    []ImportDay `json:"per_day"`
}

// ImportDay is one day of ImportStats (by the import's creation day).
type ImportDay struct {
	Day       string `json:"day"`
	Started   int64  `json:"started"`
	Submitted int64  `json:"submitted"`
	Failed    int64  `json:"failed"`
	Rows      int64  `json:"rows"`
	ErrorRows int64  `json:"error_rows"`
	Records   int64  `json:"records"`
}

// FunnelSteps are the funnel's steps in flow order.
var FunnelSteps = []string{"upload", "header", "mapping", "review", "submit"}

// Funnel counts, per step, the imports created in the range that reached
// it, overall and per importer.
type Funnel struct {
	Steps      []string         `json:"steps"`
	Started    int64            `json:"started"`
	Overall    []int64          `json:"overall"`
	ByImporter []ImporterFunnel `json:"by_importer"`
}

// ImporterFunnel is one importer's funnel.
type ImporterFunnel struct {
	Importer string  `json:"importer"`
	Name     string  `json:"name"`
	Started  int64   `json:"started"`
	Counts   []int64 `json:"counts"`
}

// DeliveryStats is delivery health per destination.
type DeliveryStats struct {
	Deliveries   int64         `json:"deliveries"`
	Delivered    int64         `json:"delivered"`
	Failed       int64         `json:"failed"` // failed or dead
	Backlog      int64         `json:"backlog"`
	Destinations []Destination `json:"destinations"`
}

// Destination is one relay destination's health: counts over the range,
// backlog and last error now, latency over its latest deliveries.
type Destination struct {
	ID          string  `json:"id"`
	Origin      string  `json:"origin"`
	Deliveries  int64   `json:"deliveries"`
	Delivered   int64   `json:"delivered"`
	Failed      int64   `json:"failed"`
	Held        int64   `json:"held"`
	Attempts    int64   `json:"attempts"`
	SuccessRate float64 `json:"success_rate"` // delivered / (delivered + failed); -1: none finished
	P50Ms       int64   `json:"p50_ms"`
	P95Ms       int64   `json:"p95_ms"`
	LatencyN    int     `json:"latency_n"` // attempts the percentiles are over
	Backlog     int64   `json:"backlog"`   // pending now
	LastError   string  `json:"last_error"`
	LastErrorAt string  `json:"last_error_at"`
	// Per day of the range: delivered and failed.
	DeliveredPerDay []int64 `json:"delivered_per_day"`
	FailedPerDay    []int64 `json:"failed_per_day"`
}

// Marketplace is installs over time, end users and plan-limit hits.
type Marketplace struct {
	Installs       int64              `json:"installs"`
	InstallsNow    int64              `json:"installs_now"` // installed, all time
	EndUsers       int64              `json:"end_users"`    // all time
	NewEndUsers    int64              `json:"new_end_users"`
	LimitHits      int64              `json:"limit_hits"` // installs refused + deliveries held
	InstallsRefus  int64              `json:"installs_refused"`
	HeldDeliveries int64              `json:"held_deliveries"`
	PerDay         []InstallDay       `json:"per_day"`
	ByListingPlan  []ListingPlanCount `json:"by_listing_plan"`
}

// InstallDay is installs created on one day.
type InstallDay struct {
	Day      string `json:"day"`
	Installs int64  `json:"installs"`
}

// ListingPlanCount is installs of one listing by end users on one plan.
type ListingPlanCount struct {
	Listing     string `json:"listing"`
	ListingName string `json:"listing_name"`
	Plan        string `json:"plan"`
	Installs    int64  `json:"installs"`
}

// Activity is one line of the recent-activity feed.
type Activity struct {
	Kind string `json:"kind"` // import, install, delivery_failed
	At   string `json:"at"`
	Text string `json:"text"`
	// Ref names what the line is about: an import slug, an install id,
	// a delivery uid.
	Ref    string `json:"ref"`
	Status string `json:"status"`
}

type window struct {
	from, to   string // days
	lo, hi     string // timestamps: lo <= t < hi
	days       []string
	dayIndex   map[string]int
	importerID int64
}

func (s *Service) window(ctx context.Context, q Query) (window, error) {
	var w window
	const layout = "2006-01-02"
	to := s.now().UTC()
	if q.To != "" {
		t, err := time.Parse(layout, q.To)
		if err != nil {
			return w, errs.Invalid("to: %q is not a date (YYYY-MM-DD)", q.To)
		}
		to = t
	}
	from := to.AddDate(0, 0, -29)
	if q.From != "" {
		t, err := time.Parse(layout, q.From)
		if err != nil {
			return w, errs.Invalid("from: %q is not a date (YYYY-MM-DD)", q.From)
		}
		from = t
	}
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	if from.After(to) {
		return w, errs.Invalid("from (%s) is after to (%s)", from.Format(layout), to.Format(layout))
	}
	n := int(to.Sub(from).Hours()/24) + 1
	if n > MaxDays {
		return w, errs.Invalid("the range is %d days; at most %d", n, MaxDays)
	}
	w.from, w.to = from.Format(layout), to.Format(layout)
	w.lo, w.hi = store.FormatTime(from), store.FormatTime(to.AddDate(0, 0, 1))
	w.dayIndex = make(map[string]int, n)
	for i := 0; i < n; i++ {
		d := from.AddDate(0, 0, i).Format(layout)
		w.days = append(w.days, d)
		w.dayIndex[d] = i
	}
	if q.Importer != "" {
		err := s.db.Read.QueryRowContext(ctx, `SELECT id FROM importers WHERE slug = ?`, q.Importer).Scan(&w.importerID)
		if errors.Is(err, sql.ErrNoRows) {
			return w, errs.NotFound("importer %q not found", q.Importer)
		}
		if err != nil {
			return w, fmt.Errorf("dashboard importer %q: %w", q.Importer, err)
		}
	}
	return w, nil
}

// Dashboard reads every figure for q.
func (s *Service) Dashboard(ctx context.Context, q Query) (Dashboard, error) {
	w, err := s.window(ctx, q)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{From: w.from, To: w.to, Importer: q.Importer, Days: w.days}
	// The parts read independently, each on its own read connection.
	parts := []func() error{
		func() (err error) { d.Imports, d.Funnel, err = s.imports(ctx, w); return err },
		func() (err error) { d.Deliveries, err = s.deliveries(ctx, w); return err },
		func() (err error) { d.Marketplace, err = s.marketplace(ctx, w); return err },
		func() (err error) { d.Activity, err = s.activity(ctx, w); return err },
	}
	if err := parallel(len(parts), func(i int) error { return parts[i]() }); err != nil {
		return d, err
	}
	// Deliveries held by a plan's transaction limit are plan-limit hits.
	for _, dest := range d.Deliveries.Destinations {
		d.Marketplace.HeldDeliveries += dest.Held
	}
	d.Marketplace.LimitHits = d.Marketplace.InstallsRefus + d.Marketplace.HeldDeliveries
	return d, nil
}

func (s *Service) imports(ctx context.Context, w window) (ImportStats, Funnel, error) {
	st := ImportStats{PerDay: make([]ImportDay, len(w.days))}
	for i, d := range w.days {
		st.PerDay[i].Day = d
	}
	fn := Funnel{Steps: FunnelSteps, Overall: make([]int64, len(FunnelSteps)), ByImporter: []ImporterFunnel{}}
	// Grouped on importer_imports_dashboard, which covers it (the rows
	// themselves hold the import's definition, often kilobytes long);
	// the importers' names are joined to the groups.
	q := `SELECT g.day, im.slug, im.name, g.status, g.reached, g.n, g.rows, g.error_rows, g.records
		FROM (SELECT substr(created_at, 1, 10) AS day, importer_id, status, reached, count(*) AS n,
				SUM(row_count) AS rows, SUM(error_rows) AS error_rows, SUM(record_count) AS records
			FROM importer_imports WHERE created_at >= ? AND created_at < ?`
	args := []any{w.lo, w.hi}
	if w.importerID != 0 {
		q += ` AND importer_id = ?`
		args = append(args, w.importerID)
	}
	q += ` GROUP BY 1, 2, 3, 4) g JOIN importers im ON im.id = g.importer_id`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return st, fn, fmt.Errorf("dashboard imports: %w", err)
	}
	defer rows.Close()
	byImp := map[string]*ImporterFunnel{}
	for rows.Next() {
		var day, slug, name, status string
		var reached int
		var n, rowsN, errRows, records int64
		if err := rows.Scan(&day, &slug, &name, &status, &reached, &n, &rowsN, &errRows, &records); err != nil {
			return st, fn, fmt.Errorf("dashboard imports: %w", err)
		}
		i, ok := w.dayIndex[day]
		if !ok {
			continue
		}
		pd := &st.PerDay[i]
		pd.Started += n
		pd.Rows += rowsN
		pd.ErrorRows += errRows
		switch status {
		case "submitted", "completed":
			pd.Submitted += n
			pd.Records += records
		case "failed":
			pd.Failed += n
		default:
			st.InFlight += n
		}
		f := byImp[slug]
		if f == nil {
			f = &ImporterFunnel{Importer: slug, Name: name, Counts: make([]int64, len(FunnelSteps))}
			byImp[slug] = f
		}
		f.Started += n
		for k := 0; k < reached && k < len(FunnelSteps); k++ {
			f.Counts[k] += n
			fn.Overall[k] += n
		}
		fn.Started += n
	}
	if err := rows.Err(); err != nil {
		return st, fn, fmt.Errorf("dashboard imports: %w", err)
	}
	for _, pd := range st.PerDay {
		st.Started += pd.Started
		st.Submitted += pd.Submitted
		st.Failed += pd.Failed
		st.Rows += pd.Rows
		st.ErrorRows += pd.ErrorRows
		st.Records += pd.Records
	}
	if st.Rows > 0 {
		st.ErrorRate = float64(st.ErrorRows) / float64(st.Rows)
	}
	for _, f := range byImp {
		fn.ByImporter = append(fn.ByImporter, *f)
	}
	sort.Slice(fn.ByImporter, func(a, b int) bool { return fn.ByImporter[a].Importer < fn.ByImporter[b].Importer })
	return st, fn, nil
}

func (s *Service) deliveries(ctx context.Context, w window) (DeliveryStats, error) {
	st := DeliveryStats{Destinations: []Destination{}}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, origin FROM relay_destinations ORDER BY origin = 'marketplace', id`)
	if err != nil {
		return st, fmt.Errorf("dashboard destinations: %w", err)
	}
	idx := map[string]int{}
	for rows.Next() {
		var d Destination
		if err := rows.Scan(&d.ID, &d.Origin); err != nil {
			rows.Close()
			return st, fmt.Errorf("dashboard destinations: %w", err)
		}
		d.SuccessRate = -1
		d.DeliveredPerDay = make([]int64, len(w.days))
		d.FailedPerDay = make([]int64, len(w.days))
		idx[d.ID] = len(st.Destinations)
		st.Destinations = append(st.Destinations, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("dashboard destinations: %w", err)
	}

	if err := s.deliveryCounts(ctx, w, st.Destinations, idx); err != nil {
		return st, err
	}
	// The latest error and latency of each destination are a few indexed
	// lookups each, on the read connections in parallel.
	err = parallel(len(st.Destinations), func(i int) error {
		d := &st.Destinations[i]
		if err := s.lastError(ctx, d); err != nil {
			return err
		}
		return s.latency(ctx, d)
	})
	if err != nil {
		return st, err
	}
	for i := range st.Destinations {
		d := &st.Destinations[i]
		if fin := d.Delivered + d.Failed; fin > 0 {
			d.SuccessRate = float64(d.Delivered) / float64(fin)
		}
		st.Deliveries += d.Deliveries
		st.Delivered += d.Delivered
		st.Failed += d.Failed
		st.Backlog += d.Backlog
	}
	return st, nil
}

// deliveryCounts fills the per-day and range counts of each destination
// and its backlog from relay_delivery_days, the per destination, status
// and creation day rollup of relay_deliveries that triggers keep exact
// (migration 0013): the range's days of the finished and held statuses,
// and every day of pending.
func (s *Service) deliveryCounts(ctx context.Context, w window, dests []Destination, idx map[string]int) error {
	// Each part is a primary-key range per destination and status (the
	// ordered join keeps the destinations outside).
	join := s.db.OrderedJoin()
	rows, err := s.db.Read.QueryContext(ctx, `SELECT r.destination_id, r.status, r.day, r.deliveries, r.attempts
		FROM relay_destinations t `+join+` relay_delivery_days r
		ON r.destination_id = t.id AND r.status IN ('delivered', 'failed', 'dead', 'held') AND r.day >= ? AND r.day <= ?
		UNION ALL
		SELECT t.id, 'pending', '', SUM(r.deliveries), 0
		FROM relay_destinations t `+join+` relay_delivery_days r ON r.destination_id = t.id AND r.status = 'pending'
		GROUP BY t.id`, w.from, w.to)
	if err != nil {
		return fmt.Errorf("dashboard deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status, day string
		var n, attempts int64
		if err := rows.Scan(&id, &status, &day, &n, &attempts); err != nil {
			return fmt.Errorf("dashboard deliveries: %w", err)
		}
		k, ok := idx[id]
		if !ok {
			continue
		}
		d := &dests[k]
		if status == "pending" {
			d.Backlog += n
			continue
		}
		i, ok := w.dayIndex[day]
		if !ok {
			continue
		}
		d.Deliveries += n
		d.Attempts += attempts
		switch status {
		case "delivered":
			d.Delivered += n
			d.DeliveredPerDay[i] += n
		case "failed", "dead":
			d.Failed += n
			d.FailedPerDay[i] += n
		case "held":
			d.Held += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dashboard deliveries: %w", err)
	}
	return nil
}

// parallel runs f(0) .. f(n-1) on at most readers goroutines and returns
// the first error.
func parallel(n int, f func(i int) error) error {
	next := make(chan int)
	errc := make(chan error, readers)
	var wg sync.WaitGroup
	for g := 0; g < min(readers, n); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for i := range next {
				if first == nil {
					first = f(i)
				}
			}
			errc <- first
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

// lastError is the reason of the destination's latest failed or dead
// delivery (each status read newest first on relay_deliveries_dest_status).
func (s *Service) lastError(ctx context.Context, d *Destination) error {
	var bestID int64
	for _, status := range []string{"failed", "dead"} {
		var id int64
		var reason, at string
		err := s.db.Read.QueryRowContext(ctx, `SELECT id, reason, updated_at FROM relay_deliveries WHERE destination_id = ? AND status = ? ORDER BY id DESC LIMIT 1`,
			d.ID, status).Scan(&id, &reason, &at)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return fmt.Errorf("dashboard last error %s: %w", d.ID, err)
		}
		if id > bestID {
			bestID, d.LastError, d.LastErrorAt = id, reason, at
		}
	}
	return nil
}

// latency is p50/p95 of the attempt durations of the destination's latest
// finished deliveries (at most latencySample of them): the newest ids of
// each finished status on relay_deliveries_dest_status, their attempts by
// primary key.
func (s *Service) latency(ctx context.Context, d *Destination) error {
	type sample struct{ id, ms int64 }
	var all []sample
	for _, status := range []string{"delivered", "failed", "dead"} {
		rows, err := s.db.Read.QueryContext(ctx, `SELECT d.id, a.duration_ms
			FROM (SELECT id FROM relay_deliveries WHERE destination_id = ? AND status = ? ORDER BY id DESC LIMIT ?) d
			JOIN relay_attempts a ON a.delivery_id = d.id`, d.ID, status, latencySample)
		if err != nil {
			return fmt.Errorf("dashboard latency %s: %w", d.ID, err)
		}
		for rows.Next() {
			var x sample
			if err := rows.Scan(&x.id, &x.ms); err != nil {
				rows.Close()
				return fmt.Errorf("dashboard latency %s: %w", d.ID, err)
			}
			all = append(all, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("dashboard latency %s: %w", d.ID, err)
		}
	}
	// keep the attempts of the latencySample newest deliveries
	sort.Slice(all, func(a, b int) bool { return all[a].id > all[b].id })
	var ms []int64
	seen := 0
	for i, x := range all {
		if i == 0 || x.id != all[i-1].id {
			seen++
		}
		if seen > latencySample {
			break
		}
		ms = append(ms, x.ms)
	}
	d.P50Ms, d.P95Ms, d.LatencyN = Percentile(ms, 50), Percentile(ms, 95), len(ms)
	return nil
}

// Percentile is the nearest-rank p-th percentile of v (sorted in place);
// 0 for none.
func Percentile(v []int64, p int) int64 {
	if len(v) == 0 {
		return 0
	}
	sort.Slice(v, func(a, b int) bool { return v[a] < v[b] })
	rank := (p*len(v) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return v[rank-1]
}

func (s *Service) marketplace(ctx context.Context, w window) (Marketplace, error) {
	m := Marketplace{PerDay: make([]InstallDay, len(w.days)), ByListingPlan: []ListingPlanCount{}}
	for i, d := range w.days {
		m.PerDay[i].Day = d
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT substr(i.created_at, 1, 10), i.listing_id, i.listing_name, u.plan, count(*)
		FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id
		WHERE i.created_at >= ? AND i.created_at < ? GROUP BY 1, 2, 3, 4`, w.lo, w.hi)
	if err != nil {
		return m, fmt.Errorf("dashboard installs: %w", err)
	}
	byLP := map[[2]string]*ListingPlanCount{}
	for rows.Next() {
		var day, listing, name, plan string
		var n int64
		if err := rows.Scan(&day, &listing, &name, &plan, &n); err != nil {
			rows.Close()
			return m, fmt.Errorf("dashboard installs: %w", err)
		}
		if i, ok := w.dayIndex[day]; ok {
			m.PerDay[i].Installs += n
		}
		m.Installs += n
		k := [2]string{listing, plan}
		if byLP[k] == nil {
			byLP[k] = &ListingPlanCount{Listing: listing, ListingName: name, Plan: plan}
		}
		byLP[k].Installs += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("dashboard installs: %w", err)
	}
	for _, c := range byLP {
		m.ByListingPlan = append(m.ByListingPlan, *c)
	}
	sort.Slice(m.ByListingPlan, func(a, b int) bool {
		x, y := m.ByListingPlan[a], m.ByListingPlan[b]
		if x.Listing != y.Listing {
			return x.Listing < y.Listing
		}
		return x.Plan < y.Plan
	})
	for _, q := range []struct {
		dst  *int64
		sql  string
		args []any
	}{
		{&m.InstallsNow, `SELECT count(*) FROM marketplace_installs WHERE status = 'installed'`, nil},
		{&m.EndUsers, `SELECT count(*) FROM marketplace_end_users`, nil},
		{&m.NewEndUsers, `SELECT count(*) FROM marketplace_end_users WHERE created_at >= ? AND created_at < ?`, []any{w.lo, w.hi}},
		{&m.InstallsRefus, `SELECT count(*) FROM marketplace_limit_hits WHERE created_at >= ? AND created_at < ?`, []any{w.lo, w.hi}},
	} {
		if err := s.db.Read.QueryRowContext(ctx, q.sql, q.args...).Scan(q.dst); err != nil {
			return m, fmt.Errorf("dashboard marketplace: %w", err)
		}
	}
	return m, nil
}

// activityLimit is how many lines of each kind the feed holds.
const activityLimit = 8

func (s *Service) activity(ctx context.Context, w window) ([]Activity, error) {
	var out []Activity
	q := `SELECT i.slug, im.name, i.status, i.file_name, i.row_count, i.error_rows, i.updated_at
		FROM importer_imports i JOIN importers im ON im.id = i.importer_id`
	var args []any
	if w.importerID != 0 {
		q += ` WHERE i.importer_id = ?`
		args = append(args, w.importerID)
	}
	q += ` ORDER BY i.id DESC LIMIT ?`
	args = append(args, activityLimit)
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("dashboard activity: %w", err)
	}
	for rows.Next() {
		var slug, name, status, file, at string
		var n, errRows int64
		if err := rows.Scan(&slug, &name, &status, &file, &n, &errRows, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("dashboard activity: %w", err)
		}
		text := name + ": import " + status
		if file != "" {
			text += " — " + file
		}
		if n > 0 {
			text += fmt.Sprintf(" (%d rows, %d with errors)", n, errRows)
		}
		out = append(out, Activity{Kind: "import", At: at, Text: text, Ref: slug, Status: status})
	}
	rows.Close()

	rows, err = s.db.Read.QueryContext(ctx, `SELECT i.id, i.listing_name, i.status, u.external_id, u.plan, i.created_at
		FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id ORDER BY i.created_at DESC LIMIT ?`, activityLimit)
	if err != nil {
		return nil, fmt.Errorf("dashboard activity: %w", err)
	}
	for rows.Next() {
		var id, listing, status, user, plan, at string
		if err := rows.Scan(&id, &listing, &status, &user, &plan, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("dashboard activity: %w", err)
		}
		text := fmt.Sprintf("%s installed by %s", listing, user)
		if plan != "" {
			text += " (" + plan + " plan)"
		}
		if status != "installed" {
			text += " — " + status
		}
		out = append(out, Activity{Kind: "install", At: at, Text: text, Ref: id, Status: status})
	}
	rows.Close()

	// Failed deliveries: newest first per destination and status on
	// relay_deliveries_dest_status, then the newest of those.
	var failed []Activity
	dests, err := s.db.Read.QueryContext(ctx, `SELECT id FROM relay_destinations`)
	if err != nil {
		return nil, fmt.Errorf("dashboard activity: %w", err)
	}
	var ids []string
	for dests.Next() {
		var id string
		if err := dests.Scan(&id); err != nil {
			dests.Close()
			return nil, fmt.Errorf("dashboard activity: %w", err)
		}
		ids = append(ids, id)
	}
	dests.Close()
	type fd struct {
		id int64
		a  Activity
	}
	var fds []fd
	for _, dest := range ids {
		for _, status := range []string{"failed", "dead"} {
			rows, err := s.db.Read.QueryContext(ctx, `SELECT id, uid, reason, updated_at FROM relay_deliveries WHERE destination_id = ? AND status = ? ORDER BY id DESC LIMIT ?`,
				dest, status, activityLimit)
			if err != nil {
				return nil, fmt.Errorf("dashboard activity: %w", err)
			}
			for rows.Next() {
				var id int64
				var uid, reason, at string
				if err := rows.Scan(&id, &uid, &reason, &at); err != nil {
					rows.Close()
					return nil, fmt.Errorf("dashboard activity: %w", err)
				}
				text := fmt.Sprintf("Delivery to %s %s", dest, status)
				if reason != "" {
					text += ": " + reason
				}
				fds = append(fds, fd{id, Activity{Kind: "delivery_failed", At: at, Text: text, Ref: uid, Status: status}})
			}
			rows.Close()
		}
	}
	sort.Slice(fds, func(a, b int) bool { return fds[a].id > fds[b].id })
	for i := 0; i < len(fds) && i < activityLimit; i++ {
		failed = append(failed, fds[i].a)
	}
	out = append(out, failed...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].At > out[b].At })
	if out == nil {
		out = []Activity{}
	}
	return out, nil
}
