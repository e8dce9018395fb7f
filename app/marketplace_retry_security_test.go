package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
)

// An end user's retry sends the delivery's whole batch again, at once.
// A delivery the receiver refuses (4xx) fails at once, so retry after
// retry turned each small request of the end user into a full outbound
// request to a receiver (a host the end user may have chosen), as fast as
// they could send them. Retries of one install are limited.
func TestSecurityEndUserRetryIsRateLimited(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: log, Server: ServerConfig{AdminToken: "adm_retry_test_token_0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base := a.BaseURL()
	var hits atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusBadRequest) // failed at once, not retried by the relay
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
	link, err := m.SignLink(ctx, marketplace.LinkRequest{ExternalID: "mallory", ListingID: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(base+"/api/marketplace/login", "application/json", strings.NewReader(`{"token":"`+link.Token+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Session string `json:"session"`
	}
	_ = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	sess, err := m.Authenticate(ctx, login.Session)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := m.StartInstall(ctx, sess, marketplace.InstallRequest{ListingID: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for inst.Status == marketplace.StatusRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if inst, err = m.Install(ctx, sess.User.ID, inst.ID); err != nil {
			t.Fatal(err)
		}
	}
	if inst.Status != marketplace.StatusInstalled || inst.DestinationID == "" {
		t.Fatalf("install: %s %q", inst.Status, inst.Error)
	}
	if _, err := a.Relay.EnqueueRecords(ctx, inst.DestinationID, [][]byte{[]byte(`{"name":"x"}`)}, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := a.Relay.ListDeliveries(ctx, relay.DeliveryFilter{Destination: inst.DestinationID})
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries: %v %v", list, err)
	}
	ids := []int64{list[0].ID}
	waitFailed := func() {
		t.Helper()
		for time.Now().Before(deadline) {
			d, err := a.Relay.GetDelivery(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if d.Status == relay.StatusFailed {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the delivery did not fail")
	}
	retry := func() int {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/marketplace/installs/%s/deliveries/%d/retry", base, inst.ID, ids[0]), nil)
		req.Header.Set("X-Fusebox-Marketplace-Session", login.Session)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		return res.StatusCode
	}
	const tries = 30
	for i := range tries {
		waitFailed()
		switch code := retry(); code {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			if i < 3 {
				t.Fatalf("retry %d refused: an end user may retry a few times", i+1)
			}
			t.Logf("retry %d: 429 (receiver hit %d times)", i+1, hits.Load())
			return
		default:
			t.Fatalf("retry %d: HTTP %d", i+1, code)
		}
	}
	t.Fatalf("%d retries of one failed delivery in a row, none refused: the receiver was hit %d times", tries, hits.Load())
}
