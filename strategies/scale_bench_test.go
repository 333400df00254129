package strategies_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// scaleFleets are the fleet sizes of the scaling grid: replicas × callers.
var scaleFleets = []struct{ replicas, callers int }{
	{100, 100}, {1000, 1000}, {5000, 1000},
}

// scalePickers are the pickers of the scaling grid: a routing and the
// parameters it differs from its defaults by.
var scalePickers = []struct {
	name, routing string
	params        sim.Params
	ringPerHost   int // > 0: minimum_ring_size is this many entries per replica
}{
	{"random", "random", nil, 0},
	{"round-robin", "round-robin", nil, 0},
	{"least-request", "least-request", nil, 0}, // 2 choices
	{"least-request-full-scan", "least-request", sim.Params{"selection": "full-scan"}, 0},
	{"peak-ewma", "peak-ewma", nil, 0},
	{"maglev", "maglev", nil, 0},
	{"ring-hash", "ring-hash", nil, 0},
	// Envoy's default ring (minimum_ring_size 1024) gives each of 5,000
	// hosts one entry: about 15% draw over twice the mean share and their
	// queues grow without bound at utilisation 0.5, so the default case at
	// 5000x1000 simulates an overloaded fleet. This one keeps 64 entries
	// per host at every size (shares within about ±12%), the same modelled
	// load as the other pickers.
	{"ring-hash-64-per-host", "ring-hash", nil, 64},
	{"shortest-queue", "shortest-queue", nil, 0},
}

// scaleRate is the offered load per replica (requests/s): with
// exponential service of mean 10 ms and one slot per replica, utilisation
// 0.5.
const scaleRate = 50

// BenchmarkScale is the picker × fleet-size grid: replicas × callers
// sidecars, each an independent decider, at utilisation 0.5 (local load).
// ns/req is wall time per simulated request (picker, engine and request
// path together); it should not grow with the fleet for pickers that do
// not scan. setup-ms and setup-MiB are building the world plus a warm-up
// in which every caller picks about 20 times (so lazily built views and
// hash tables exist), and the live heap that adds. One world per case
// runs across the benchmark's rounds, b.N simulated requests in all, so a
// case costs one setup and about a second of requests.
func BenchmarkScale(b *testing.B) {
	for _, f := range scaleFleets {
		for _, p := range scalePickers {
			params := p.params
			if p.ringPerHost > 0 {
				params = sim.Params{"minimum_ring_size": int64(p.ringPerHost * f.replicas)}
			}
			b.Run(fmt.Sprintf("%s/%dx%d", p.name, f.replicas, f.callers), func(b *testing.B) {
				benchScale(b, p.routing, params, f.replicas, f.callers)
			})
		}
	}
}

// scaleWorld is one case's world, kept across the benchmark's rounds.
type scaleWorld struct {
	w              *topology.World
	rate           float64 // requests/s over the whole fleet
	setup          time.Duration
	setupBytes     uint64
	routing        string
	replicas, cals int
}

var scaleCur *scaleWorld

func benchScale(b *testing.B, routing string, params sim.Params, replicas, callers int) {
	s := scaleCur
	if s == nil || s.routing != routing+fmt.Sprint(params) || s.replicas != replicas || s.cals != callers {
		scaleCur = nil
		s = newScaleWorld(b, routing, params, replicas, callers)
		scaleCur = s
	}
	w := s.w
	before := w.Clients[0].Generated
	b.ReportAllocs()
	b.ResetTimer()
	w.Eng.Run(w.Eng.Now() + sim.Seconds(float64(b.N)/s.rate))
	b.StopTimer()
	n := w.Clients[0].Generated - before
	if n > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/req")
	}
	b.ReportMetric(float64(s.setup.Microseconds())/1e3, "setup-ms")
	b.ReportMetric(float64(s.setupBytes)/(1<<20), "setup-MiB")
}

func newScaleWorld(b *testing.B, routing string, params sim.Params, replicas, callers int) *scaleWorld {
	b.Helper()
	def, ok := strategies.LookupRouting(routing)
	if !ok {
		b.Fatalf("unknown routing %q", routing)
	}
	full, err := def.Params.Complete(params)
	if err != nil {
		b.Fatal(err)
	}
	newPicker, err := def.Build(full)
	if err != nil {
		b.Fatal(err)
	}
	rate := float64(scaleRate * replicas)
	spec := topology.Spec{
		Places: []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{
			Name: "api", Replicas: replicas, Concurrency: 1, QueueCapacity: topology.Unbounded,
			ServiceTime: sim.Exponential{M: 0.010},
		}},
		Clients: []topology.ClientSpec{{
			Name: "users", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: rate}}, Callers: callers, Timeout: 5 * sim.Second,
		}},
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	w, err := topology.New(spec, topology.Routing{Caller: newPicker, PanicThreshold: 0.5}, 1)
	if err != nil {
		b.Fatal(err)
	}
	w.Start(sim.Never - 1)
	w.Eng.Run(sim.Seconds(20 * float64(callers) / rate)) // about 20 picks per caller
	setup := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	grown := uint64(0)
	if m1.HeapAlloc > m0.HeapAlloc {
		grown = m1.HeapAlloc - m0.HeapAlloc
	}
	return &scaleWorld{w: w, rate: rate, setup: setup, setupBytes: grown,
		routing: routing + fmt.Sprint(params), replicas: replicas, cals: callers}
}
