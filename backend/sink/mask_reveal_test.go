package sink

import (
	"strings"
	"testing"
)

func TestCredentialHeadersMaskedUntilRevealed(t *testing.T) {
	known := strings.NewReplacer("env-secret-1", "«secret CRM_KEY»")
	reqs := func() []Request {
		return []Request{{URL: "/sink/x?k=env-secret-1", Body: `{"a":"env-secret-1"}`, Headers: [][2]string{
			{"Authorization", "Bearer raw-token-9"}, {"X-Client-Secret", "cs-7"}, {"Webhook-Signature", "v1,abc"}, {"X-Session-Token", "st"},
			{"X-Key", "env-secret-1"}, {"Content-Type", "application/json"}}}}
	}
	masked := Mask(reqs(), known)[0]
	want := [][2]string{{"Authorization", "Bearer «credential»"}, {"X-Client-Secret", "«credential»"}, {"Webhook-Signature", "«credential»"},
		{"X-Session-Token", "«credential»"}, {"X-Key", "«secret CRM_KEY»"}, {"Content-Type", "application/json"}}
	for i, h := range masked.Headers {
		if h != want[i] {
			t.Errorf("masked header %d: %v, want %v", i, h, want[i])
		}
	}
	shown := MaskSecrets(reqs(), known)[0]
	if shown.Headers[0][1] != "Bearer raw-token-9" || shown.Headers[1][1] != "cs-7" || shown.Headers[4][1] != "«secret CRM_KEY»" {
		t.Errorf("revealed headers %v", shown.Headers)
	}
	if strings.Contains(shown.URL+shown.Body, "env-secret-1") {
		t.Errorf("a known secret shows on reveal: %s %s", shown.URL, shown.Body)
	}
}
