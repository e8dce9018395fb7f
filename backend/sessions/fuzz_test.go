package sessions_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/sessions"
)

// FuzzVerify feeds arbitrary text to Verify: it must never panic, only
// ever answer EUNAUTHORIZED for what it refuses, and accept only tokens
// of sessions that exist with the importer the token names.
func FuzzVerify(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	iss, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"user_id":1}`)})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(iss.Token, ".")
	f.Add(iss.Token)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".." + parts[2])
	f.Add(iss.Token + "x")
	f.Add(strings.ToUpper(iss.Token))
	f.Fuzz(func(t *testing.T, token string) {
		sess, err := e.svc.Verify(ctx, token)
		if err != nil {
			if code := errs.Code(err); code != errs.EUNAUTHORIZED {
				t.Fatalf("Verify(%q) = %v (%s), want EUNAUTHORIZED", token, err, code)
			}
			return
		}
		if sess.ID != iss.ID || sess.ImporterSlug != "contacts" || sess.Status != sessions.StatusActive {
			t.Fatalf("Verify(%q) accepted session %+v", token, sess)
		}
	})
}
