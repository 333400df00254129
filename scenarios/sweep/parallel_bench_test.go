package sweep_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tangle-sim/tangle/scenarios/sweep"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParallelSweep: 6 cells (50..100 replicas behind 100 P2C
// sidecars at 5,000 requests/s for 30 simulated seconds, 2 replications
// each) run with 1 and with 2 workers, alternately. speedup is the wall
// clock's; cpu-ratio is the CPU time of 2 workers over that of 1 for the
// same work (1 when they share nothing; see scenarios'
// BenchmarkParallelReplications). Run with -benchtime 3x.
func BenchmarkParallelSweep(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(file, []byte(`name: fleet-sweep
duration: 30s
replications: 2
topology:
  services: [{name: api, replicas: 100, service_time: {dist: exponential, mean: 9ms}}]
  clients: [{name: users, target: api, rate: 5000/s, callers: 100, timeout: 5s}]
strategies:
  - {name: p2c, routing: least-request}
`), 0o644); err != nil {
		b.Fatal(err)
	}
	pl, err := sweep.NewPlan(sweep.Spec{Arg: file, Params: []string{"topology.services[api].replicas=50..100/10"}})
	if err != nil {
		b.Fatal(err)
	}
	run := func(workers int) {
		if _, err := sweep.Run(context.Background(), pl, "", sweep.Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
	}
	run(2)
	var wall, cpu [2]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, workers := range []int{1, 2} {
			w0, c0 := time.Now(), cpuTime(b)
			run(workers)
			wall[k] += time.Since(w0)
			cpu[k] += cpuTime(b) - c0
		}
	}
	b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "speedup")
	b.ReportMetric(cpu[1].Seconds()/cpu[0].Seconds(), "cpu-ratio")
}
