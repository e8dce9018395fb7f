package relay_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/relay"
)

// TestSecurityRelayUserHostRoutesCannotReachInternalAddresses: a
// marketplace route whose host an end user chose is delivered through the
// network guard: loopback (by IP and by a name resolving to it),
// link-local and private addresses fail the delivery with a clear reason
// and the loopback receiver gets nothing; a host the admin allows by name
// (marketplace.allowed_hosts, through Options.AllowedHosts) is delivered;
// a route whose host the admin wrote stays trusted.
func TestSecurityRelayUserHostRoutesCannotReachInternalAddresses(t *testing.T) {
	e := newEnv(t, func(o *relay.Options) {
		o.AllowedHosts = func(context.Context) ([]string, error) { return []string{"localhost"}, nil }
	})
	rc := newReceiver(t, nil)
	port := rc.URL[strings.LastIndex(rc.URL, ":"):]
	e.startWorker(relay.WorkerOptions{})
	ctx := context.Background()
	route := func(owner, u string, userHost bool) string {
		t.Helper()
		id, err := e.relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: owner, InstallID: "inst_" + owner, URL: u, UserHost: userHost})
		if err != nil {
			t.Fatal(err)
		}
		e.enqueue(id, []string{`{"a":1}`}, relay.EnqueueOptions{})
		return id
	}
	for _, c := range []struct{ url, kind string }{
		{rc.URL + "/x", "loopback"},
		{"http://[::ffff:127.0.0.1]" + port + "/x", "loopback"},
		{"http://169.254.169.254/latest/meta-data", "link-local"},
		{"http://10.20.30.40/x", "private"},
	} {
		id := route("u"+c.kind+strings.NewReplacer(".", "", ":", "", "/", "", "[", "", "]", "").Replace(c.url), c.url, true)
		st := e.waitSettled(id, 1)
		ds := e.deliveries(relay.DeliveryFilter{Destination: id})
		if st.ByStatus[relay.StatusDelivered] != 0 || len(ds) != 1 || ds[0].Status != "failed" || !strings.Contains(ds[0].Reason, c.kind+" address") {
			t.Errorf("%s: %+v; want failed naming a %s address", c.url, ds, c.kind)
		}
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
	// An allowed named host is delivered.
	id := route("uallowed", "http://localhost"+port+"/ok", true)
	if st := e.waitSettled(id, 1); st.ByStatus[relay.StatusDelivered] != 1 {
		t.Fatalf("allowed host: %+v %+v", st, e.deliveries(relay.DeliveryFilter{Destination: id}))
	}
	// An admin-written host (not chosen by an end user) is trusted.
	id = route("uadmin", rc.URL+"/admin", false)
	if st := e.waitSettled(id, 1); st.ByStatus[relay.StatusDelivered] != 1 {
		t.Fatalf("admin host: %+v", st)
	}
}

// TestSecurityRelayInboundOutboundURLGoesThroughTheGuard: a sender's
// x-Osmos-Outbound-Url (on the allowlist) is dialed through the guard:
// on loopback it fails, unless the route names the host in
// inbound.private_hosts.
func TestSecurityRelayInboundOutboundURLGoesThroughTheGuard(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.startWorker(relay.WorkerOptions{})
	ctx := context.Background()
	e.create(relay.Destination{ID: "in", URL: "https://crm.example.com/v1", Inbound: &relay.Inbound{Route: "in", AllowedURLs: []string{rc.URL + "/api/"}}})
	if _, err := e.relay.HandleInbound(ctx, "in", relay.InboundRequest{Body: []byte(`{"a":1}`), OutboundURL: rc.URL + "/api/x"}); err != nil {
		t.Fatal(err)
	}
	e.waitSettled("in", 1)
	ds := e.deliveries(relay.DeliveryFilter{Destination: "in"})
	if len(ds) != 1 || ds[0].Status != "failed" || !strings.Contains(ds[0].Reason, "loopback address") || rc.count() != 0 {
		t.Fatalf("sender-chosen loopback URL: %+v, receiver got %d", ds, rc.count())
	}
	e.create(relay.Destination{ID: "in2", URL: "https://crm.example.com/v1", Inbound: &relay.Inbound{Route: "in2", AllowedURLs: []string{rc.URL + "/api/"}, PrivateHosts: []string{"127.0.0.1"}}})
	if _, err := e.relay.HandleInbound(ctx, "in2", relay.InboundRequest{Body: []byte(`{"a":1}`), OutboundURL: rc.URL + "/api/x"}); err != nil {
		t.Fatal(err)
	}
	if st := e.waitSettled("in2", 1); st.ByStatus[relay.StatusDelivered] != 1 || rc.count() != 1 {
		t.Fatalf("private_hosts: %+v, receiver got %d", st, rc.count())
	}
}
