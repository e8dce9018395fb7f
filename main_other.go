//go:build !windows

package main

// attachConsole is for the Windows GUI binary only (main_windows.go).
func attachConsole() {}
