//go:build windows

package main

import (
	"os"
	"syscall"
)

// attachConsole: the Windows desktop binary is a GUI program (-H
// windowsgui), so Windows gives it no console. When it is started from a
// terminal with a command (fusebox.exe serve, import, version, ...), it
// attaches to that terminal's console so what it prints shows there;
// output already redirected to a file or pipe stays where it goes.
func attachConsole() {
	if len(os.Args) < 2 {
		return // the window
	}
	const attachParentProcess = 0xFFFFFFFF // (DWORD)-1
	r, _, _ := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole").Call(attachParentProcess)
	if r == 0 {
		return // no parent console, or this binary has its own
	}
	for _, std := range []struct {
		handle int
		f      **os.File
	}{{syscall.STD_OUTPUT_HANDLE, &os.Stdout}, {syscall.STD_ERROR_HANDLE, &os.Stderr}} {
		if h, err := syscall.GetStdHandle(std.handle); err == nil && h != 0 && h != syscall.InvalidHandle {
			continue
		}
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			*std.f = f
		}
	}
}
