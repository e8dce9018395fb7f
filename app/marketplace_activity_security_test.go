package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
)

// activityUser is one end user with an installed routed integration and
// the deliveries its route made.
type activityUser struct {
	session    string
	install    string
	dest       string
	deliveries []int64 // ids, newest first
	failed     int64   // one of them that failed
	delivered  int64   // one that went through
}

// TestSecurityEndUserActivityIsScoped: an end user sees the deliveries of
// their own installs only, and can retry only their own failed ones:
// another user's install is not found, and another user's delivery id,
// guessed and sent through one's own install, is not found either. What
// the end user sees never holds the receiver's URL or its answer.
func TestSecurityEndUserActivityIsScoped(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: log, Server: ServerConfig{AdminToken: "adm_activity_test_token_0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base := a.BaseURL()

	// The receiver refuses records marked "fail" (400: failed at once, not retried).
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "fail") {
			http.Error(w, `{"secret_answer":"receiver-private-detail"}`, http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"secret_answer":"receiver-private-detail"}`)
	}))
	defer recv.Close()

	m := a.Marketplace
	if _, err := m.CreateSecret(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SaveListing(ctx, marketplace.Listing{ID: "crm", Name: "Acme CRM",
		Workflow: []marketplace.Step{{Kind: marketplace.StepRelayRoute, Name: "route", Method: "POST", URL: recv.URL + "/hook"}}}); err != nil {
		t.Fatal(err)
	}

	do := func(method, path, session string) (int, string) {
		req, _ := http.NewRequest(method, base+path, nil)
		if session != "" {
			req.Header.Set("X-Fusebox-Marketplace-Session", session)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	setup := func(ext string, records []string) *activityUser {
		link, err := m.SignLink(ctx, marketplace.LinkRequest{ExternalID: ext, ListingID: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", base+"/api/marketplace/login", strings.NewReader(`{"token":"`+link.Token+`"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var login struct {
			Session string `json:"session"`
		}
		_ = json.NewDecoder(res.Body).Decode(&login)
		res.Body.Close()
		if login.Session == "" {
			t.Fatalf("%s: no session (HTTP %d)", ext, res.StatusCode)
		}
		sess, err := m.Authenticate(ctx, login.Session)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := m.StartInstall(ctx, sess, marketplace.InstallRequest{ListingID: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for inst.Status == marketplace.StatusRunning && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if inst, err = m.Install(ctx, sess.User.ID, inst.ID); err != nil {
				t.Fatal(err)
			}
		}
		if inst.Status != marketplace.StatusInstalled || inst.DestinationID == "" {
			t.Fatalf("%s install: %s %q", ext, inst.Status, inst.Error)
		}
		var recs [][]byte
		for _, r := range records {
			recs = append(recs, []byte(`{"name":"`+r+`"}`))
		}
		if _, err := a.Relay.EnqueueRecords(ctx, inst.DestinationID, recs, relay.EnqueueOptions{}); err != nil {
			t.Fatal(err)
		}
		u := &activityUser{session: login.Session, install: inst.ID, dest: inst.DestinationID}
		for time.Now().Before(deadline) {
			list, err := a.Relay.ListDeliveries(ctx, relay.DeliveryFilter{Destination: inst.DestinationID})
			if err != nil {
				t.Fatal(err)
			}
			settled := len(list) == len(records)
			for _, d := range list {
				settled = settled && (d.Status == relay.StatusDelivered || d.Status == relay.StatusFailed)
			}
			if settled {
				u.deliveries = nil
				for _, d := range list {
					u.deliveries = append(u.deliveries, d.ID)
					if d.Status == relay.StatusFailed {
						u.failed = d.ID
					} else {
						u.delivered = d.ID
					}
				}
				return u
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: deliveries did not settle", ext)
		return nil
	}
	alice := setup("alice", []string{"a1", "a2", "fail-a3"})
	bob := setup("bob", []string{"b1", "fail-b2", "b3", "b4"})

	type activity struct {
		InstallID   string  `json:"install_id"`
		Delivered   int64   `json:"delivered"`
		Failed      int64   `json:"failed"`
		SuccessRate float64 `json:"success_rate"`
		LastError   string  `json:"last_error"`
		Deliveries  []struct {
			ID       int64  `json:"id"`
			Status   string `json:"status"`
			Reason   string `json:"reason"`
			CanRetry bool   `json:"can_retry"`
		} `json:"deliveries"`
	}
	get := func(u *activityUser, install string) (int, activity, string) {
		st, body := do("GET", "/api/marketplace/installs/"+install+"/activity", u.session)
		var act activity
		_ = json.Unmarshal([]byte(body), &act)
		return st, act, body
	}

	for _, u := range []*activityUser{alice, bob} {
		st, act, body := get(u, u.install)
		if st != 200 {
			t.Fatalf("own activity: %d %s", st, body)
		}
		var ids []int64
		for _, d := range act.Deliveries {
			ids = append(ids, d.ID)
		}
		want := append([]int64(nil), u.deliveries...)
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("install %s lists deliveries %v, want exactly %v", u.install, ids, want)
		}
		if act.Failed != 1 || act.Delivered != int64(len(u.deliveries)-1) || act.LastError != "The service answered 400 Bad Request" {
			t.Errorf("install %s activity %+v", u.install, act)
		}
		for _, leak := range []string{recv.URL, "receiver-private-detail", "/hook", u.dest} {
			if strings.Contains(body, leak) {
				t.Errorf("the end user's activity shows %q:\n%s", leak, body)
			}
		}
	}

	// Another user's install, and another user's deliveries through one's own install.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/marketplace/installs/" + bob.install + "/activity"},
		{"POST", "/api/marketplace/installs/" + bob.install + "/deliveries/" + fmt.Sprint(bob.failed) + "/retry"},
		{"POST", "/api/marketplace/installs/" + alice.install + "/deliveries/" + fmt.Sprint(bob.failed) + "/retry"},
		{"POST", "/api/marketplace/installs/" + alice.install + "/deliveries/" + fmt.Sprint(bob.delivered) + "/retry"},
		{"POST", "/api/marketplace/installs/" + alice.install + "/deliveries/999999/retry"},
		{"POST", "/api/marketplace/installs/" + alice.install + "/deliveries/-1/retry"},
	} {
		if st, body := do(c.method, c.path, alice.session); st != http.StatusNotFound || strings.Contains(body, "bob") {
			t.Errorf("alice %s %s: %d %s, want 404", c.method, c.path, st, body)
		}
	}
	// Without a session nothing is shown.
	if st, _ := do("GET", "/api/marketplace/installs/"+alice.install+"/activity", ""); st != http.StatusUnauthorized {
		t.Errorf("no session: %d, want 401", st)
	}
	// Bob's failed delivery is untouched by all that.
	if d, err := a.Relay.GetDelivery(ctx, bob.failed); err != nil || d.Status != relay.StatusFailed {
		t.Fatalf("bob's failed delivery: %v %v", d.Status, err)
	}

	// Alice retries her own failed delivery (it fails again: same record);
	// a delivered one is not retried.
	if st, body := do("POST", "/api/marketplace/installs/"+alice.install+"/deliveries/"+fmt.Sprint(alice.delivered)+"/retry", alice.session); st != http.StatusConflict {
		t.Errorf("retry of a delivered delivery: %d %s, want 409", st, body)
	}
	st, body := do("POST", "/api/marketplace/installs/"+alice.install+"/deliveries/"+fmt.Sprint(alice.failed)+"/retry", alice.session)
	if st != 200 || !strings.Contains(body, `"status":"pending"`) {
		t.Fatalf("alice's retry: %d %s", st, body)
	}
}
