package app

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fusebox/backend/marketplace"
	"fusebox/backend/sink"
)

// TestSecuritySinkMasksInstallSecretsThisProcessNeverSent: on a team
// server the replica that sent a marketplace install's secret to a sink
// is often not the one whose console shows the sink. The request below
// reaches the sink without this process ever sending the secret (as when
// another replica's relay sent it); the sink viewer must still show the
// install secret masked, in the URL, the body and every header, also
// under the admin's "reveal credentials".
func TestSecuritySinkMasksInstallSecretsThisProcessNeverSent(t *testing.T) {
	const apiKey = "sk-live-other-replica-5Tz8"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, dir), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	runWorkers(t, ctx, cancel, a)
	m := a.Marketplace
	saveCRMListing(t, ctx, m, []marketplace.Step{{Kind: marketplace.StepRelayRoute, Name: "route", Method: "POST",
		URL: "https://crm.example.com/hook?key={{config.api_key}}"}})
	link, err := m.SignLink(ctx, marketplace.LinkRequest{ExternalID: "user-1", ListingID: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := m.Login(ctx, link.Token)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := m.StartInstall(ctx, login.Session, marketplace.InstallRequest{ListingID: "crm", Config: map[string]string{"api_key": apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	for inst.Status == marketplace.StatusRunning {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(10 * time.Millisecond)
		if inst, err = m.Install(ctx, login.Session.User.ID, inst.ID); err != nil {
			t.Fatal(err)
		}
	}
	if inst.Status != marketplace.StatusInstalled {
		t.Fatalf("install: status %s, error %q", inst.Status, inst.Error)
	}

	r := httptest.NewRequest("POST", "/sink/crm?key="+apiKey, strings.NewReader(`{"key":"`+apiKey+`"}`))
	r.Header.Set("X-Team-Key", apiKey)
	if _, err := a.Sink.Record(ctx, "crm", r); err != nil {
		t.Fatal(err)
	}
	for _, reveal := range []bool{false, true} {
		reqs, _, err := a.Sink.Requests(ctx, "crm", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if reveal {
			reqs = sink.MaskSecrets(reqs, a.Relay.SecretMasker(ctx, sink.LastReceived(reqs)))
		} else {
			reqs = sink.Mask(reqs, a.Relay.SecretMasker(ctx, sink.LastReceived(reqs)))
		}
		if len(reqs) != 1 {
			t.Fatalf("sink holds %d requests, want 1", len(reqs))
		}
		shown := reqs[0].URL + "\n" + reqs[0].Body + "\n"
		for _, h := range reqs[0].Headers {
			shown += h[0] + ": " + h[1] + "\n"
		}
		if strings.Contains(shown, apiKey) || !strings.Contains(shown, "X-Team-Key: «install secret api_key»") {
			t.Fatalf("reveal=%v: the sink viewer shows an install secret this process never sent:\n%s", reveal, shown)
		}
	}
}
