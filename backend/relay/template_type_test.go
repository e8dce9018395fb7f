package relay

import "testing"

// A param that is exactly one placeholder keeps the JSON type of the value
// it names, also for user_id and user_group, which are read from the
// session metadata.
func TestTemplateLonePlaceholderKeepsType(t *testing.T) {
	md := map[string]any{"user_id": float64(777), "user_group": true, "org": map[string]any{"id": float64(5)}, "name": "Ann"}
	ctxs := map[string]*Context{
		"inbound token": contextFromMetadata(&Context{}, md),
		"import":        (&ImportInfo{UserID: "777", Metadata: md}).context(),
	}
	for name, c := range ctxs {
		for tmpl, want := range map[string]string{
			`{{ user_id }}`:          `777`,
			`{{ metadata.user_id }}`: `777`,
			`{{ user_group }}`:       `true`,
			`{{ metadata.org }}`:     `{"id":5}`,
			`{{ metadata.name }}`:    `"Ann"`,
			`u-{{ user_id }}`:        `"u-777"`,
		} {
			tm, err := parseTemplate(tmpl, templateParam)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tm.renderParam(c)); got != want {
				t.Errorf("%s: %s = %s, want %s", name, tmpl, got, want)
			}
		}
	}
	// A user id given as text (not in the metadata) stays text.
	tm, _ := parseTemplate(`{{ user_id }}`, templateParam)
	if got := string(tm.renderParam(&Context{UserID: "777"})); got != `"777"` {
		t.Errorf("text user id = %s, want \"777\"", got)
	}
}
