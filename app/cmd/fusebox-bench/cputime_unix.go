//go:build !windows

package main

import (
	"os"
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used so
// far: on a loaded machine it shows the work a step did where its wall
// time also counts the waits for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle writes the dirty pages the benchmark left (a generated file, a
// previous run's database) to disk before a timed run, so that the
// kernel's writeback of them does not fall into the run's time.
func settle() { syscall.Sync() }

// childUsage is a finished child's CPU time (user and system) and peak
// RSS in MB.
func childUsage(ps *os.ProcessState) (time.Duration, int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Maxrss / 1024
}
