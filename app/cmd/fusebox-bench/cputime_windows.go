package main

import (
	"os"
	"time"
)

// processCPU is not measured on Windows (the benchmarks run on Linux).
func processCPU() time.Duration { return 0 }

// settle does nothing on Windows (the benchmarks run on Linux).
func settle() {}

// childUsage is a finished child's CPU time; its peak RSS is not measured on
// Windows (0).
func childUsage(ps *os.ProcessState) (time.Duration, int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}
