package sink_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"fusebox/backend/sink"
)

func TestSinkKeepsTheLastRequestsWithCappedBodies(t *testing.T) {
	k := sink.New(3, 8)
	for i, body := range []string{"one", "two", "three", "four", "0123456789abc"} {
		r := httptest.NewRequest("POST", "/sink/demo?i="+string(rune('0'+i)), strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer x")
		if _, err := k.Record("demo", r); err != nil {
			t.Fatal(err)
		}
	}
	reqs, sum := k.Requests("demo", 0, 0)
	if sum.Total != 5 || sum.Kept != 3 || len(reqs) != 3 {
		t.Fatalf("summary %+v, %d requests", sum, len(reqs))
	}
	if reqs[0].Body != "01234567" || !reqs[0].Truncated || reqs[0].BodyBytes != 13 || reqs[0].URL != "/sink/demo?i=4" {
		t.Fatalf("newest %+v", reqs[0])
	}
	if reqs[2].Body != "three" || reqs[2].Truncated {
		t.Fatalf("oldest kept %+v", reqs[2])
	}
	found := false
	for _, h := range reqs[0].Headers {
		found = found || (h[0] == "Authorization" && h[1] == "Bearer x")
	}
	if !found {
		t.Fatalf("headers %v", reqs[0].Headers)
	}
	newer, _ := k.Requests("demo", reqs[1].ID, 0)
	if len(newer) != 1 || newer[0].ID != reqs[0].ID {
		t.Fatalf("after %d: %+v", reqs[1].ID, newer)
	}
	if _, err := k.Record("../etc", httptest.NewRequest("GET", "/sink/x", nil)); err == nil {
		t.Fatal("a bad sink name is accepted")
	}
	k.Clear("demo")
	if got, _ := k.Requests("demo", 0, 0); len(got) != 0 || len(k.List()) != 0 {
		t.Fatalf("after clear: %v %v", got, k.List())
	}
}
