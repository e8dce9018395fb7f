package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Section is the `destinations:` section of the workspace file: a list of
// Destination. Applying it creates or updates destinations by id (it does
// not delete destinations missing from the file, and it keeps their
// enabled state); marketplace routes are not part of it.
type Section struct{ s *Service }

// Section returns the workspace section of the relay.
func (s *Service) Section() Section { return Section{s: s} }

func (Section) Key() string { return "destinations" }

// Load decodes and validates the section without writing anything.
func (sec Section) Load(decode func(v any) error) (func(ctx context.Context) ([]string, error), error) {
	apply, _, err := sec.load(decode)
	return apply, err
}

// LoadFile is Load with the rest of the file at hand: every environment
// secret a destination reads must be declared in the file's secrets: list
// (or, when the file has none, in the list declared before). other
// decodes another top-level key; line finds the line of a path in this
// section.
func (sec Section) LoadFile(ctx context.Context, decode func(v any) error, other func(key string, v any) (bool, error), line func(path ...any) int) (func(ctx context.Context) ([]string, error), error) {
	apply, list, err := sec.load(decode)
	if err != nil {
		return nil, err
	}
	var declared []string
	found, err := other("secrets", &declared)
	if err != nil {
		return nil, err
	}
	if !found {
		if declared, err = sec.s.DeclaredSecrets(ctx); err != nil {
			return nil, err
		}
	}
	for i := range list {
		for _, r := range list[i].secretRefs() {
			if slices.Contains(declared, r.name) {
				continue
			}
			path := append([]any{i}, r.path...)
			return nil, fmt.Errorf("line %d: %s", line(path...), undeclaredMessage("destinations"+pathText(path), r.name))
		}
	}
	return apply, nil
}

func (sec Section) load(decode func(v any) error) (func(ctx context.Context) ([]string, error), []Destination, error) {
	var list []Destination
	if err := decode(&list); err != nil {
		return nil, nil, err
	}
	ids := map[string]int{}
	routes := map[string]string{}
	for i := range list {
		d := &list[i]
		if err := d.Normalize(); err != nil {
			return nil, nil, fmt.Errorf("destinations[%d]: %s", i, errs.Message(err))
		}
		if j, ok := ids[d.ID]; ok {
			return nil, nil, fmt.Errorf("destinations[%d]: id %q is also used by destinations[%d]", i, d.ID, j)
		}
		ids[d.ID] = i
		if d.Inbound != nil {
			if other, ok := routes[d.Inbound.Route]; ok {
				return nil, nil, fmt.Errorf("destinations[%d]: inbound route %q is also used by %q", i, d.Inbound.Route, other)
			}
			routes[d.Inbound.Route] = d.ID
		}
	}
	return func(ctx context.Context) ([]string, error) {
		var changes []string
		err := sec.s.db.Tx(ctx, func(tx *store.Tx) error {
			for i := range list {
				d := &list[i]
				action, err := sec.s.saveTx(ctx, tx, d, destMeta{origin: OriginWorkspace}, false)
				if err != nil {
					return err
				}
				if action != "unchanged" {
					changes = append(changes, action+" destination "+d.ID)
				}
			}
			tx.AfterCommit(sec.s.changed)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return changes, nil
	}, list, nil
}

// Holds reports whether the data dir holds any destination (the workspace
// never applies the demo over one).
func (sec Section) Holds(ctx context.Context) (bool, error) {
	var n int64
	err := sec.s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM relay_destinations LIMIT 1) AS x`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count destinations: %w", err)
	}
	return n > 0, nil
}

// Export returns the workspace and console destinations (not marketplace
// routes) in the shape Load accepts.
func (sec Section) Export(ctx context.Context) (any, error) {
	views, err := sec.s.ListDestinations(ctx)
	if err != nil {
		return nil, err
	}
	out := []Destination{}
	for _, v := range views {
		if v.Origin == OriginMarketplace {
			continue
		}
		d := v.Destination
		if d.Method == "POST" {
			d.Method = ""
		}
		out = append(out, d)
	}
	return out, nil
}

// SecretMasker replaces the values of the secrets destinations reference
// with «secret NAME», and the install secrets (those the relay has sent
// and those stored) with «install secret NAME»: the console masks the
// sink's recordings with it. lastReceived is when the newest request it
// will mask arrived (sink.LastReceived): of the stored install secrets it
// opens only those of installs made by then (with installClockSlack for
// the clocks of other replicas), since a secret stored later was not sent
// in those requests.
func (s *Service) SecretMasker(ctx context.Context, lastReceived time.Time) *strings.Replacer {
	var pairs []string
	rows, err := s.db.Read.QueryContext(ctx, `SELECT spec FROM relay_destinations`)
	if err == nil {
		seen := map[string]bool{}
		for rows.Next() {
			var spec string
			var d Destination
			if rows.Scan(&spec) != nil || json.Unmarshal([]byte(spec), &d) != nil {
				continue
			}
			for _, n := range d.SecretNames() {
				if seen[n] {
					continue
				}
				seen[n] = true
				if val, ok := s.env(n); ok && len(val) >= 4 {
					pairs = append(pairs, val, "«secret "+n+"»")
				}
			}
		}
		rows.Close()
	}
	pairs = append(pairs, s.sent.pairs()...)
	// Every stored install secret too, not only those this process sent:
	// on a team server another replica may have sent it.
	if s.installs != nil {
		vals, err := s.installs.InstallSecretValues(ctx, lastReceived.Add(installClockSlack))
		if err != nil {
			s.log.WarnContext(ctx, "the sink may show install secrets unmasked", "err", err)
		}
		for _, v := range vals {
			for _, form := range secretForms(v[0]) {
				pairs = append(pairs, form, "«install secret "+v[1]+"»")
			}
		}
	}
	return strings.NewReplacer(pairs...)
}

// installClockSlack is how much later than a sink request an install's
// creation time may read and still count as made before it: the request
// and the install may be stamped by the clocks of two replicas.
const installClockSlack = time.Minute

// RememberSentSecret tells the relay that a secret config value of a
// marketplace install (field name) was sent in a request, so that the
// sink shows it as «install secret NAME» wherever it appears. The
// marketplace calls it for its http_request steps; kept in memory only.
func (s *Service) RememberSentSecret(value, name string) {
	s.sent.remember(value, "«install secret "+name+"»")
}
