package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"fusebox/backend/sessions"
)

// startedApp is the App of dir as serve opens it, after its first start
// (with the demo when demo is true).
func startedApp(t *testing.T, ctx context.Context, dir string, demo bool, log *slog.Logger) *App {
	t.Helper()
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.FirstStart(ctx, demo); err != nil {
		a.Close()
		t.Fatal(err)
	}
	return a
}

func TestDemoKeysOnFirstStart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, noDemo := range []bool{false, true} {
		dir := t.TempDir()
		a := startedApp(t, ctx, dir, !noDemo, log)
		d, err := a.Sessions.DemoKeys(ctx)
		if noDemo {
			if err == nil {
				t.Fatal("--no-demo workspace has demo keys")
			}
			a.Close()
			continue
		}
		if err != nil || !d.SecretActive || !d.PublishableActive {
			t.Fatalf("demo keys: %+v %v", d, err)
		}
		k, err := a.Sessions.Authenticate(ctx, d.Secret)
		if err != nil || k.Name != sessions.DemoSecretName {
			t.Fatalf("demo secret key: %+v %v", k, err)
		}
		a.Close()
		// A second start finds them again (derived from the key file) and
		// does not add more.
		a = startedApp(t, ctx, dir, true, log)
		d2, err := a.Sessions.DemoKeys(ctx)
		keys, _ := a.Sessions.ListKeys(ctx)
		a.Close()
		if err != nil || d2 != d || len(keys) != 2 {
			t.Fatalf("after restart: %+v %v, %d keys", d2, err, len(keys))
		}
	}
}
