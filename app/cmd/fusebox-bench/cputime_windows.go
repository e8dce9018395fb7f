package main

import "time"

// processCPU is not measured on Windows (the benchmarks run on Linux).
func processCPU() time.Duration { return 0 }

// settle does nothing on Windows (the benchmarks run on Linux).
func settle() {}
