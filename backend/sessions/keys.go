package sessions

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// keyLen is the length of a whole key: prefix plus the random body.
const keyLen = len(SecretPrefix) + keyBodyLen

// displayChars is how many characters of the body the listed prefix shows.
const displayChars = 4

// hashKey is the stored form of a key. Keys carry 256 random bits, so a
// plain SHA-256 is as strong as a slow password hash would be here.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func prefixOf(kind Kind) string {
	if kind == KindPublishable {
		return PublishablePrefix
	}
	return SecretPrefix
}

// validateNewKey checks and normalizes what CreateKey is given.
func validateNewKey(nk NewKey) (NewKey, error) {
	nk.Name = strings.TrimSpace(nk.Name)
	switch {
	case nk.Name == "":
		return nk, errs.Invalid("name is required: give the key a name that says where it is used")
	case utf8.RuneCountInString(nk.Name) > 100:
		return nk, errs.Invalid("name is longer than 100 characters")
	}
	switch nk.Kind {
	case KindSecret:
		if len(nk.Importers) > 0 || len(nk.Origins) > 0 {
			return nk, errs.Invalid("importers and origins apply to publishable keys only; a secret key may create sessions for every importer and is used from servers, not browsers")
		}
		nk.Importers, nk.Origins = []string{}, []string{}
		return nk, nil
	case KindPublishable:
	default:
		return nk, errs.Invalid("kind must be %q or %q, not %q", KindSecret, KindPublishable, nk.Kind)
	}
	var importers []string
	seen := map[string]bool{}
	for _, s := range nk.Importers {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		if s != AnyImporter && strings.ContainsAny(s, " \t\r\n,/?#") {
			return nk, errs.Invalid("importer %q is not an importer slug", s)
		}
		seen[s] = true
		importers = append(importers, s)
	}
	if len(importers) == 0 {
		return nk, errs.Invalid("a publishable key needs the importers it may create sessions for (slugs, or %q for all)", AnyImporter)
	}
	var origins []string
	seen = map[string]bool{}
	for _, o := range nk.Origins {
		if strings.TrimSpace(o) == "" {
			continue
		}
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nk, errs.Invalid("%v", err)
		}
		if !seen[n] {
			seen[n] = true
			origins = append(origins, n)
		}
	}
	if len(origins) == 0 {
		return nk, errs.Invalid("a publishable key needs the browser origins it may be used from, e.g. https://app.example.com or http://localhost:3000")
	}
	nk.Importers, nk.Origins = importers, origins
	return nk, nil
}

// CreateKey creates a key and returns it with the key itself, which is
// not stored and cannot be shown again.
func (s *Service) CreateKey(ctx context.Context, nk NewKey) (CreatedKey, error) {
	nk, err := validateNewKey(nk)
	if err != nil {
		return CreatedKey{}, err
	}
	return s.insertKey(ctx, nk, prefixOf(nk.Kind)+ids.Base62(keyBodyLen))
}

func (s *Service) insertKey(ctx context.Context, nk NewKey, plaintext string) (CreatedKey, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	k := Key{
		ID: ids.New("key_"), Name: nk.Name, Kind: nk.Kind, Prefix: plaintext[:len(SecretPrefix)+displayChars],
		Importers: nk.Importers, Origins: nk.Origins, Active: true, CreatedAt: now,
	}
	imps, _ := json.Marshal(k.Importers)
	origins, _ := json.Marshal(k.Origins)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, kind, prefix, hash, importers, origins, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, string(k.Kind), k.Prefix, hashKey(plaintext), string(imps), string(origins), store.FormatTime(now))
		return err
	})
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create key %q: %w", nk.Name, err)
	}
	return CreatedKey{Key: k, Secret: plaintext}, nil
}

const keyColumns = `id, name, kind, prefix, hash, importers, origins, created_at, last_used_at, deactivated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanKey(sc rowScanner) (Key, string, error) {
	var k Key
	var kind, hash, imps, origins, created, used, deactivated string
	if err := sc.Scan(&k.ID, &k.Name, &kind, &k.Prefix, &hash, &imps, &origins, &created, &used, &deactivated); err != nil {
		return Key{}, "", err
	}
	k.Kind = Kind(kind)
	k.Importers, k.Origins = []string{}, []string{}
	_ = json.Unmarshal([]byte(imps), &k.Importers)
	_ = json.Unmarshal([]byte(origins), &k.Origins)
	k.CreatedAt = parseTime(created)
	k.LastUsedAt = parseTime(used)
	k.DeactivatedAt = parseTime(deactivated)
	k.Active = deactivated == ""
	return k, hash, nil
}

func parseTime(s string) (t time.Time) {
	if s == "" {
		return t
	}
	t, _ = store.ParseTime(s)
	return t
}

// ListKeys returns every key, newest first.
func (s *Service) ListKeys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		k, _, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// GetKey returns the key with id.
func (s *Service) GetKey(ctx context.Context, id string) (Key, error) {
	k, _, err := scanKey(s.db.Read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, errs.NotFound("API key %q not found", id)
	}
	if err != nil {
		return Key{}, fmt.Errorf("get key %s: %w", id, err)
	}
	return k, nil
}

// DeactivateKey deactivates a key for good: requests with it get 401 from
// now on. Deactivating a deactivated key changes nothing.
func (s *Service) DeactivateKey(ctx context.Context, id string) (Key, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET deactivated_at = ? WHERE id = ? AND deactivated_at = ''`, store.FormatTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("deactivate key %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM api_keys WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return errs.NotFound("API key %q not found", id)
			}
		}
		return nil
	})
	if err != nil {
		return Key{}, err
	}
	return s.GetKey(ctx, id)
}

// Authenticate returns the active key whose text is key. It answers
// EUNAUTHORIZED for anything else, never echoing the key. The lookup is
// by hash (the index reveals nothing about the key itself) and the stored
// hash is compared in constant time.
func (s *Service) Authenticate(ctx context.Context, key string) (Key, error) {
	if len(key) != keyLen || !(strings.HasPrefix(key, SecretPrefix) || strings.HasPrefix(key, PublishablePrefix)) || !isBase62(key[len(SecretPrefix):]) {
		return Key{}, errs.Unauthorized("the API key is not valid: expected a Fusebox key (fbx_sk_… or fbx_pk_…)")
	}
	want := hashKey(key)
	st, err := s.stmts(ctx)
	if err != nil {
		return Key{}, err
	}
	k, stored, err := scanKey(st.keyByHash.QueryRowContext(ctx, want))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, errs.Unauthorized("the API key is not valid: no such key in this Fusebox workspace")
	}
	if err != nil {
		return Key{}, fmt.Errorf("authenticate key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 {
		return Key{}, errs.Unauthorized("the API key is not valid: no such key in this Fusebox workspace")
	}
	if !k.Active {
		return Key{}, errs.Unauthorized("the API key %s… was deactivated; create a new key in the console (Keys & Sessions)", k.Prefix)
	}
	if at, ok := s.touch(ctx, k.ID); ok {
		k.LastUsedAt = at
	}
	return k, nil
}

// touch records that key id was used, writing last_used_at at most once
// per lastUsedEvery per key so that busy keys do not queue every request
// on the single writer.
func (s *Service) touch(ctx context.Context, id string) (time.Time, bool) {
	now := s.now().UTC()
	s.usedMu.Lock()
	last, seen := s.lastUsed[id]
	if seen && now.Sub(last) < lastUsedEvery && now.Sub(last) >= 0 {
		s.usedMu.Unlock()
		return time.Time{}, false
	}
	s.lastUsed[id] = now
	s.usedMu.Unlock()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), id)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "record API key use", "key", id, "err", err)
		return time.Time{}, false
	}
	return now, true
}

// AnyKeyAllowsOrigin reports whether an active publishable key lists
// origin. A CORS preflight carries no key, so it is answered for origins
// that some key may use; the request itself is then checked against the
// key it carries.
//
// exceptID, when not "", leaves that key out (the demo publishable key
// while the demo is off).
func (s *Service) AnyKeyAllowsOrigin(ctx context.Context, origin, exceptID string) (bool, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT origins FROM api_keys WHERE kind = ? AND deactivated_at = '' AND id != ?`, string(KindPublishable), exceptID)
	if err != nil {
		return false, fmt.Errorf("check origin: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return false, fmt.Errorf("check origin: %w", err)
		}
		var list []string
		_ = json.Unmarshal([]byte(raw), &list)
		if originAllowed(list, origin) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// CountKeys is a dashboard figure: active keys.
func (s *Service) CountKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE deactivated_at = ''`).Scan(&n)
	return n, err
}
