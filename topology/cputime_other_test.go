//go:build !unix

package topology

// cpuSeconds is 0 where the process's CPU time is not read: the
// benchmarks then report no per-CPU-second figure.
func cpuSeconds() float64 { return 0 }
