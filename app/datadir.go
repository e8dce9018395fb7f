package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fusebox/backend/ids"
)

// ResolveDataDir picks the data dir: flagValue, else $FUSEBOX_DATA_DIR,
// else the OS user config dir + /fusebox. It creates the directory (0700)
// and checks that it is writable.
func ResolveDataDir(flagValue string) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = os.Getenv("FUSEBOX_DATA_DIR")
	}
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find a data dir: %w (set --data-dir or FUSEBOX_DATA_DIR)", err)
		}
		dir = filepath.Join(base, "fusebox")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create data dir %s: %w", abs, err)
	}
	probe, err := os.CreateTemp(abs, ".write-check-*")
	if err != nil {
		return "", fmt.Errorf("data dir %s is not writable: %w", abs, unwrapPathErr(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return abs, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// EnsureAdminToken reads admin.token in dir (the key dir), creating it
// (0600) with a new random token when missing. Scripts use it as a Bearer token.
func EnsureAdminToken(dir string) (string, error) {
	path := filepath.Join(dir, "admin.token")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token %s: %w", path, err)
	}
	tok := ids.Hex("", 32)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	return tok, nil
}
