package scenarios_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parallelCost times f with 1 and with 2 workers, alternately, b.N times
// each, and reports the wall-clock speedup of 2 workers and the CPU time
// 2 workers spend for the same work relative to 1 (cpu-ratio: 1 when the
// workers share nothing; above 1 for what they cost each other, such as
// the garbage collector's work or cache misses on shared state). On a
// loaded machine the speedup is meaningless but cpu-ratio still says
// what 2 workers waste: an idle 2-core machine would give about
// 2/cpu-ratio, less any load imbalance at the end.
func parallelCost(b *testing.B, f func(workers int)) {
	f(2) // warm up: the first run grows the heap
	var wall, cpu [2]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, workers := range []int{1, 2} {
			w0, c0 := time.Now(), cpuTime(b)
			f(workers)
			wall[k] += time.Since(w0)
			cpu[k] += cpuTime(b) - c0
		}
	}
	b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "speedup")
	b.ReportMetric(cpu[1].Seconds()/cpu[0].Seconds(), "cpu-ratio")
}

// BenchmarkParallelReplications: the fleet yardstick (100 replicas, 100
// P2C sidecars, 10,000 requests/s) for 1 simulated minute, 8
// replications, run with 1 and with 2 workers. Run with -benchtime 3x.
func BenchmarkParallelReplications(b *testing.B) {
	sc, err := scenarios.Load("../docs/examples/fleet.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc.Duration = scenarios.Duration(sim.Minute)
	sc.Replications = 8
	parallelCost(b, func(workers int) {
		if _, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
	})
}
