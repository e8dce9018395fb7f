//go:build desktop

package app

import "github.com/wailsapp/wails/v2/pkg/options/windows"

// webview2Help is what the Windows window says when the Microsoft Edge
// WebView2 Runtime is missing or too old (release builds use Wails'
// "browser" strategy, tag wv2runtime.browser: a message box whose OK opens
// the runtime's download page; nothing is downloaded behind the user's
// back). Wails appends the minimum runtime version to DownloadPage.
const webview2Help = "Fusebox's window needs the Microsoft Edge WebView2 Runtime, which is missing or too old on this computer.\n\n" +
	"Press OK to open its download page (https://developer.microsoft.com/microsoft-edge/webview2/), " +
	"install the Evergreen Bootstrapper, then start Fusebox again.\n\n" +
	"Without it, run \"fusebox.exe serve\" from a terminal and open the printed Console link in your browser.\n\n" +
	"Minimum runtime version: "

// windowsOptions are the window's Windows-only options: clear words when
// WebView2 is missing (see webview2Help). Other systems ignore them.
func windowsOptions() *windows.Options {
	m := windows.DefaultMessages()
	m.DownloadPage = webview2Help
	m.MissingRequirements = "Fusebox needs the WebView2 Runtime"
	m.Webview2NotInstalled = "The Microsoft Edge WebView2 Runtime is not installed: install it from https://developer.microsoft.com/microsoft-edge/webview2/ or run \"fusebox.exe serve\" and use the console in your browser"
	m.FailedToInstall = "Fusebox's window cannot open without the WebView2 Runtime. Install it, then start Fusebox again; meanwhile \"fusebox.exe serve\" runs the console in your browser."
	m.ContactAdmin = "Fusebox's window needs the Microsoft Edge WebView2 Runtime. Ask your administrator to install it, or run \"fusebox.exe serve\" and use the console in your browser."
	return &windows.Options{Messages: m}
}
