package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"fusebox/backend/keyring"
	"fusebox/backend/marketplace"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
)

// The environment variables that give key material instead of files.
const (
	EnvKeyDir      = "FUSEBOX_KEY_DIR"
	EnvSessionsKey = "FUSEBOX_SESSIONS_KEY"
	EnvSecretsKey  = "FUSEBOX_SECRETS_KEY"
	EnvAdminToken  = "FUSEBOX_ADMIN_TOKEN"
)

// KeyConfig says where a server's key material comes from: sessions.key
// (seals the session signing keys), secrets.key (seals marketplace
// secrets and install credentials) and the console's admin token. Each
// comes from its value when set (the environment), else from its file in
// Dir.
type KeyConfig struct {
	// Dir is the key dir (--key-dir, $FUSEBOX_KEY_DIR); "" is the data dir.
	Dir string
	// SessionsKey and SecretsKey are keys given as values
	// ($FUSEBOX_SESSIONS_KEY, $FUSEBOX_SECRETS_KEY): 32 bytes in base64
	// or hex (keyring.FromValue).
	SessionsKey, SecretsKey string
	// AdminToken is the admin token given as a value ($FUSEBOX_ADMIN_TOKEN).
	AdminToken string
}

// KeysFromEnv is the KeyConfig of the environment (getenv is os.Getenv),
// with dir (--key-dir) in place of $FUSEBOX_KEY_DIR when set.
func KeysFromEnv(dir string, getenv func(string) string) KeyConfig {
	if dir == "" {
		dir = getenv(EnvKeyDir)
	}
	return KeyConfig{Dir: dir, SessionsKey: getenv(EnvSessionsKey), SecretsKey: getenv(EnvSecretsKey), AdminToken: getenv(EnvAdminToken)}
}

// loadedKeys is the key material New hands to the services: nil keyrings
// leave the services to read their key files themselves (SQLite).
type loadedKeys struct {
	sessions, secrets *keyring.Keyring
	adminToken        string
}

// keyDir is the key dir of cfg.
func keyDir(cfg Config) string {
	if cfg.Keys.Dir != "" {
		return cfg.Keys.Dir
	}
	return cfg.DataDir
}

// loadKeys reads the key material of cfg. On SQLite a key given as a value
// is used as is, a key file is left to its service (which makes it for a
// new data dir), and the admin token (when wanted) comes from its value or
// admin.token in the key dir, made when missing.
//
// On PostgreSQL the replicas sharing the database must share their keys;
// see checkSharedKeys.
func loadKeys(ctx context.Context, db *store.DB, cfg Config) (loadedKeys, error) {
	var k loadedKeys
	var err error
	if cfg.Keys.SessionsKey != "" {
		if k.sessions, err = keyring.FromValue(EnvSessionsKey, cfg.Keys.SessionsKey); err != nil {
			return k, err
		}
	}
	if cfg.Keys.SecretsKey != "" {
		if k.secrets, err = keyring.FromValue(EnvSecretsKey, cfg.Keys.SecretsKey); err != nil {
			return k, err
		}
	}
	if cfg.Server.AdminTokenFromKeys {
		if cfg.Keys.AdminToken != "" {
			if err := checkAdminToken(cfg.Keys.AdminToken); err != nil {
				return k, err
			}
			k.adminToken = strings.TrimSpace(cfg.Keys.AdminToken)
		}
	} else {
		k.adminToken = cfg.Server.AdminToken
	}
	if db.Engine() == store.Postgres {
		return checkSharedKeys(ctx, db, cfg, k)
	}
	if cfg.Server.AdminTokenFromKeys && k.adminToken == "" {
		if k.adminToken, err = EnsureAdminToken(keyDir(cfg)); err != nil {
			return k, err
		}
	}
	return k, nil
}

// checkAdminToken refuses an admin token given as a value that is too short
// to be a secret or holds white space. The error never quotes it.
func checkAdminToken(tok string) error {
	tok = strings.TrimSpace(tok)
	if len(tok) < 32 || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%s is not an admin token: want at least 32 characters without spaces (e.g. the output of openssl rand -hex 32); got %d characters", EnvAdminToken, len(tok))
	}
	return nil
}

// adminTokenCheck names an admin token without revealing it.
func adminTokenCheck(tok string) string {
	sum := sha256.Sum256([]byte("fusebox admin token check v1|" + tok))
	return hex.EncodeToString(sum[:16])
}

// sharedKey is one piece of key material of a team server.
type sharedKey struct {
	file string // its file in the key dir
	env  string // the variable that gives it as a value
	// given is the key as given (nil: look for the file).
	given *keyring.Keyring
	// sealed reports whether the database holds values sealed with it.
	sealed func(context.Context, *store.Tx) (bool, error)
}

// checkSharedKeys makes sure the servers sharing one PostgreSQL database
// use the same keys and admin token. Each piece comes from its
// environment variable, else its file in the key dir. The database
// records the check value of each (keyring.CheckValue; a hash for the
// admin token) in its settings:
//
//   - a server whose piece has another check value is refused, also while
//     nothing is sealed under it yet;
//   - a server given no such piece is refused when the database records
//     one or holds values sealed with it: it never makes a key of its own;
//   - only while the database has neither does the server make the piece,
//     as a new file in its key dir, and record it, in the same write
//     transaction (serialized across replicas by the store), so exactly
//     one replica makes each piece and the others must be given it.
//
// The keys checked here are handed to the services, which then make sure
// they open what is sealed (OpenKeyring).
func checkSharedKeys(ctx context.Context, db *store.DB, cfg Config, k loadedKeys) (loadedKeys, error) {
	dir := keyDir(cfg)
	where := fmt.Sprintf("the key dir (--key-dir or $%s; now %s)", EnvKeyDir, dir)
	if cfg.Keys.Dir == "" {
		where = fmt.Sprintf("the key dir (--key-dir or $%s; unset, so the data dir %s)", EnvKeyDir, dir)
	}
	pieces := []*sharedKey{
		{file: "sessions.key", env: EnvSessionsKey, given: k.sessions, sealed: sessions.SealedStored},
		{file: "secrets.key", env: EnvSecretsKey, given: k.secrets, sealed: marketplace.SealedStored},
	}
	var created []string // files made in this transaction, removed when it fails
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, p := range pieces {
			kr := p.given
			if kr == nil {
				var err error
				kr, err = keyring.Open(filepath.Join(dir, p.file))
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			stored, err := readSetting(ctx, tx, "keys."+p.file+".check")
			if err != nil {
				return err
			}
			if kr == nil {
				held := stored != ""
				if !held {
					if held, err = p.sealed(ctx, tx); err != nil {
						return err
					}
				}
				if held {
					return fmt.Errorf("the database %s already holds values sealed with %s, and this server was given no %s: give it the key the other servers use, as $%s or as %s in %s (a new key could not open them, so none is made)",
						db.Path, p.file, p.file, p.env, p.file, where)
				}
				path := filepath.Join(dir, p.file)
				if kr, err = keyring.Create(path); err != nil {
					return err
				}
				created = append(created, path)
			} else if stored != "" && stored != kr.CheckValue() {
				return fmt.Errorf("the key %s given in %s does not match the one the servers sharing database %s use: give this server the same key, as $%s or as %s in %s",
					p.file, kr.Path(), db.Path, p.env, p.file, where)
			}
			if stored == "" {
				if err := store.SetSetting(ctx, tx, "keys."+p.file+".check", kr.CheckValue()); err != nil {
					return err
				}
			}
			if p.file == "sessions.key" {
				k.sessions = kr
			} else {
				k.secrets = kr
			}
		}
		if !cfg.Server.AdminTokenFromKeys {
			return nil
		}
		stored, err := readSetting(ctx, tx, "keys.admin.token.check")
		if err != nil {
			return err
		}
		tok, source := k.adminToken, "$"+EnvAdminToken
		if tok == "" {
			path := filepath.Join(dir, "admin.token")
			source = path
			b, err := os.ReadFile(path)
			switch {
			case err == nil:
				tok = strings.TrimSpace(string(b))
			case !errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("read admin token %s: %w", path, err)
			case stored != "":
				return fmt.Errorf("the servers sharing database %s have an admin token, and this server was given none: give it the same one, as $%s or as admin.token in %s (a console login must work on every server, so none is made)",
					db.Path, EnvAdminToken, where)
			default:
				if tok, err = EnsureAdminToken(dir); err != nil {
					return err
				}
				created = append(created, path)
			}
		}
		if stored != "" && stored != adminTokenCheck(tok) {
			return fmt.Errorf("the admin token given in %s does not match the one the servers sharing database %s use: give this server the same one, as $%s or as admin.token in %s",
				source, db.Path, EnvAdminToken, where)
		}
		k.adminToken = tok
		if stored == "" {
			return store.SetSetting(ctx, tx, "keys.admin.token.check", adminTokenCheck(tok))
		}
		return nil
	})
	if err != nil {
		for _, path := range created {
			os.Remove(path) // not recorded: no other server knows it
		}
		return loadedKeys{}, err
	}
	return k, nil
}

// readSetting is a setting's value in tx, "" when unset.
func readSetting(ctx context.Context, tx *store.Tx, key string) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}
