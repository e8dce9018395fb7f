package app

import "testing"

// A file or destination named with markup must reach the notification
// server as text, not as markup it renders (links, images, bold).
func TestSecurityNotificationBodyIsEscapedOnLinux(t *testing.T) {
	body := `Import of <a href="https://evil.example">x</a> & <img src="file:///etc/passwd"/> failed`
	want := `Import of &lt;a href="https://evil.example"&gt;x&lt;/a&gt; &amp; &lt;img src="file:///etc/passwd"/&gt; failed`
	if got := notificationBody(body, "linux"); got != want {
		t.Fatalf("linux body:\n got %s\nwant %s", got, want)
	}
	if got := notificationBody(body, "windows"); got != body {
		t.Fatalf("windows body changed: %s", got)
	}
}
