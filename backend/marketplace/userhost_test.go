package marketplace

import "testing"

func TestSecurityMarketplaceUserHostClassification(t *testing.T) {
	for tmpl, want := range map[string]bool{
		"{{fusebox.base_url}}/sink/crm-auth":           false,
		"{{ fusebox.base_url }}/sink/{{config.name}}":  false,
		"{{fusebox.base_url}}?k={{config.k}}":          false,
		"https://crm.example.com/api/{{config.team}}":  false,
		"https://crm.example.com?team={{config.team}}": false,
		"{{config.url}}":                           true,
		"{{config.url}}/demo/api/config":           true,
		"http://{{config.host}}:8080/x":            true,
		"https://{{config.sub}}.crm.example.com/x": true,
		"https://crm.example.com{{config.port}}/x": true,
		"{{fusebox.base_url}}{{config.x}}":         true,
		"{{user.email}}":                           true,
		"http{{config.s}}://crm.example.com/":      true,
	} {
		if got := userHost(tmpl); got != want {
			t.Errorf("userHost(%q) = %v, want %v", tmpl, got, want)
		}
	}
}
