package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// The APIFuse token of docs/marketplace.md, payload as the seed's page
// builds it (its connection object spells the key "apikey"), signed HS256
// as jsonwebtoken signs it, logs in to the docs' configuration and fills
// the crm listing's api_key through its connection_fields.
func TestDocsMarketplaceSeedTokenFillsTheListing(t *testing.T) {
	ctx := context.Background()
	ws, mp := docsWorkspace(t)
	if _, err := ws.Apply(ctx, []byte(docsContacts+docSample(t, "marketplace-config")), "marketplace.yaml"); err != nil {
		t.Fatal(err)
	}
	sec, err := mp.CreateSecret(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(docSample(t, "marketplace-seed-token")), &claims); err != nil {
		t.Fatalf("the seed token sample is not JSON: %v", err)
	}
	conn, _ := claims["connection"].(map[string]any)
	if _, ok := conn["apikey"]; !ok {
		t.Fatalf("the sample's connection claims are not the seed's (no apikey): %v", conn)
	}
	// The sample's times are the seed's (2020); only they are moved to now.
	now := time.Now().Unix()
	claims["iat"], claims["nbf"], claims["exp"] = now, now, now+3000
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	signing := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(sec.Value))
	mac.Write([]byte(signing))
	token := signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	res, err := mp.Login(ctx, token)
	if err != nil {
		t.Fatalf("the docs' seed token is refused: %v", err)
	}
	l, err := mp.Listing(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	pre := mp.PrefillFor(res.Session, l)
	if !slices.Equal(pre.Secrets, []string{"api_key"}) {
		t.Fatalf("prefill from the docs' seed token: %+v", pre)
	}
}
