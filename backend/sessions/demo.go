package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// The demo workspace comes with two keys so that the demo host app (/demo)
// works like a real one:
//
//   - a secret key named "demo" that the demo app's backend route, running
//     in this process, uses to issue sessions, and
//   - a publishable key named "demo (browser)" for client-side sessions
//     from any port on the loopback interface (DemoOrigins), for the demo
//     workspace's importers only (never "*": the key is shown to any page
//     while the demo runs, and must not reach importers of the user's).
//
// When the demo ends for good (a workspace of the user's own is applied)
// both are deactivated (EndDemoKeys).
//
// Neither is stored in plain text. Their text is derived from the data
// dir's key file (HMAC-SHA256 with a fixed label), so DemoKeys can hand it
// to the demo app on every start without the database ever holding it.
// They are ordinary keys otherwise: listed in the console, deactivatable.

const (
	DemoSecretName      = "demo"
	DemoPublishableName = "demo (browser)"
)

// DemoOrigins are the demo publishable key's origins: any port on the
// loopback interface, by name and by address.
var DemoOrigins = []string{"http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"}

// DemoKeys are the demo keys, with their text.
type DemoKeys struct {
	Secret            string `json:"secret"`
	SecretID          string `json:"secret_id"`
	SecretActive      bool   `json:"secret_active"`
	Publishable       string `json:"publishable"`
	PublishableID     string `json:"publishable_id"`
	PublishableActive bool   `json:"publishable_active"`
}

func (s *Service) demoKeyText(ctx context.Context, kind Kind) (string, error) {
	b, err := s.derive(ctx, "demo api key|"+string(kind))
	if err != nil {
		return "", err
	}
	return prefixOf(kind) + base62Fixed(b, keyBodyLen), nil
}

func (s *Service) keyByText(ctx context.Context, text string) (Key, error) {
	k, _, err := scanKey(s.db.Read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hashKey(text)))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, errs.NotFound("the demo keys are not set up in this workspace (it was created with --no-demo)")
	}
	if err != nil {
		return Key{}, fmt.Errorf("find demo key: %w", err)
	}
	return k, nil
}

// EnsureDemoKeys creates the demo keys when they do not exist yet and
// returns one line per key created; the publishable one may create
// sessions for importers (the demo workspace's slugs) only. A deactivated
// demo key stays deactivated.
func (s *Service) EnsureDemoKeys(ctx context.Context, importers []string) ([]string, error) {
	if len(importers) == 0 || slices.Contains(importers, AnyImporter) {
		return nil, errs.Invalid("the demo publishable key needs the demo's importer slugs (not %q)", AnyImporter)
	}
	var changes []string
	for _, nk := range []NewKey{
		{Name: DemoSecretName, Kind: KindSecret},
		{Name: DemoPublishableName, Kind: KindPublishable, Importers: importers, Origins: DemoOrigins},
	} {
		text, err := s.demoKeyText(ctx, nk.Kind)
		if err != nil {
			return changes, err
		}
		_, err = s.keyByText(ctx, text)
		if err == nil {
			continue
		}
		if !errs.Is(err, errs.ENOTFOUND) {
			return changes, err
		}
		valid, err := validateNewKey(nk)
		if err != nil {
			return changes, fmt.Errorf("demo key %q: %w", nk.Name, err)
		}
		if _, err := s.insertKey(ctx, valid, text); err != nil {
			return changes, err
		}
		changes = append(changes, fmt.Sprintf("created %s API key %s", nk.Kind, nk.Name))
	}
	return changes, nil
}

// ScopeDemoKeys narrows the demo publishable key of an older data dir,
// made for every importer ("*"), to importers (the demo workspace's
// slugs). It reports whether it changed the key; a key already scoped,
// or a data dir without demo keys, is left alone.
func (s *Service) ScopeDemoKeys(ctx context.Context, importers []string) (bool, error) {
	if len(importers) == 0 || slices.Contains(importers, AnyImporter) {
		return false, errs.Invalid("the demo publishable key needs the demo's importer slugs (not %q)", AnyImporter)
	}
	text, err := s.demoKeyText(ctx, KindPublishable)
	if err != nil {
		return false, err
	}
	k, err := s.keyByText(ctx, text)
	if errs.Is(err, errs.ENOTFOUND) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !slices.Contains(k.Importers, AnyImporter) {
		return false, nil
	}
	imps, err := json.Marshal(importers)
	if err != nil {
		return false, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET importers = ? WHERE id = ?`, string(imps), k.ID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("scope the demo publishable key: %w", err)
	}
	return true, nil
}

// EndDemoKeys deactivates both demo keys, for good, when the demo ends;
// it returns one line per key it deactivated (none on a data dir without
// demo keys or when they already are).
func (s *Service) EndDemoKeys(ctx context.Context) ([]string, error) {
	var changes []string
	for _, kind := range []Kind{KindSecret, KindPublishable} {
		text, err := s.demoKeyText(ctx, kind)
		if err != nil {
			return changes, err
		}
		k, err := s.keyByText(ctx, text)
		if errs.Is(err, errs.ENOTFOUND) {
			continue
		}
		if err != nil {
			return changes, err
		}
		if !k.Active {
			continue
		}
		if _, err := s.DeactivateKey(ctx, k.ID); err != nil {
			return changes, err
		}
		changes = append(changes, fmt.Sprintf("deactivated %s API key %s", kind, k.Name))
	}
	return changes, nil
}

// DemoKeys returns the demo keys with their text, for the demo host app's
// backend. ENOTFOUND when the workspace has no demo keys.
func (s *Service) DemoKeys(ctx context.Context) (DemoKeys, error) {
	var d DemoKeys
	sk, err := s.demoKeyText(ctx, KindSecret)
	if err != nil {
		return d, err
	}
	pk, err := s.demoKeyText(ctx, KindPublishable)
	if err != nil {
		return d, err
	}
	secret, err := s.keyByText(ctx, sk)
	if err != nil {
		return d, err
	}
	pub, err := s.keyByText(ctx, pk)
	if err != nil {
		return d, err
	}
	return DemoKeys{
		Secret: sk, SecretID: secret.ID, SecretActive: secret.Active,
		Publishable: pk, PublishableID: pub.ID, PublishableActive: pub.Active,
	}, nil
}

// IssueDemo issues a session as the demo secret key would over HTTP: the
// key must exist and be active (EUNAUTHORIZED once deactivated), the
// session is recorded against it and its last use is tracked. The demo
// host app's backend route, running in this process, calls it without
// handling the key itself. p.Key is ignored.
func (s *Service) IssueDemo(ctx context.Context, p IssueParams) (Issued, error) {
	text, err := s.demoKeyText(ctx, KindSecret)
	if err != nil {
		return Issued{}, err
	}
	if _, err := s.keyByText(ctx, text); err != nil {
		return Issued{}, err
	}
	k, err := s.Authenticate(ctx, text)
	if err != nil {
		return Issued{}, err
	}
	p.Key = &k
	return s.Issue(ctx, p)
}

// DemoPublishableID is the id of the demo publishable key, or "" when this
// data dir has none (made with --no-demo).
func (s *Service) DemoPublishableID(ctx context.Context) (string, error) {
	text, err := s.demoKeyText(ctx, KindPublishable)
	if err != nil {
		return "", err
	}
	k, err := s.keyByText(ctx, text)
	if errs.Is(err, errs.ENOTFOUND) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return k.ID, nil
}
