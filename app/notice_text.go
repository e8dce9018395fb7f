package app

import "strings"

// notificationBody is a notice's text as a desktop notification body. On
// Linux the notification server renders a markup subset in the body, and
// a body carries names users chose (files, importers, destinations), so
// it is escaped there; other platforms show the body as plain text.
func notificationBody(body, goos string) string {
	if goos != "linux" {
		return body
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(body)
}
