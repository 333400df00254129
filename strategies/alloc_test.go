package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// pickerCases covers every routing and the parameter choices that select a
// different code path.
var pickerCases = []struct {
	routing string
	params  sim.Params
}{
	{"random", nil},
	{"round-robin", nil},
	{"round-robin", sim.Params{"slow_start_window": 30 * sim.Second}},
	{"weighted-round-robin", nil},
	{"weighted-round-robin", sim.Params{"legacy_init": true}},
	{"least-request", nil},
	{"least-request", sim.Params{"sampling": "distinct", "choices": int64(3)}},
	{"least-request", sim.Params{"selection": "full-scan"}},
	{"least-request", sim.Params{"slow_start_window": 30 * sim.Second}},
	{"shortest-queue", nil},
	{"peak-ewma", nil},
	{"ring-hash", nil},
	{"ring-hash", sim.Params{"hash_balance_factor": int64(125)}},
	{"maglev", sim.Params{"hash_balance_factor": int64(125)}},
	{"locality", nil},
	{"locality", sim.Params{"locality_weighted": true, "inner": "least-request"}},
	{"locality", sim.Params{"inner": "random"}},
	{"grpc-wrr", sim.Params{"blackout_period": sim.Time(0)}},
}

// mixedHosts is a host set that exercises every path: unequal weights,
// loads, an unhealthy host, two priorities and localities, a restarted
// host, load reports.
func mixedHosts() *hosts {
	h := newHosts(12)
	for i := range h.load {
		h.load[i] = float64(i % 4)
		h.weight[i] = float64(1 + i%3)
		h.priority[i] = i / 8
		h.locality[i] = i % 3
		h.report[i] = topology.Signal{QPS: 50 + float64(i), Utilization: 0.3 + 0.05*float64(i%5), Emitted: sim.Second, Valid: true}
	}
	h.healthy[2] = false
	h.since[5] = 90 * sim.Second
	return h
}

// TestPicksDoNotAllocate: once a picker has seen a host set, picking from
// it allocates nothing, whatever the routing.
func TestPicksDoNotAllocate(t *testing.T) {
	for _, c := range pickerCases {
		h := mixedHosts()
		p := build(t, c.routing, c.params, 1)
		fb, _ := p.(topology.ResponseObserver)
		req := &topology.Request{}
		now := 100 * sim.Second
		pick := func() {
			req.Key++
			now += sim.Millisecond
			k := p.Pick(now, h, req)
			if k < 0 {
				t.Fatalf("%s %v: no host", c.routing, c.params)
			}
			if fb != nil {
				fb.ObserveResponse(now, h.ID(k), 20*sim.Millisecond, true)
			}
		}
		for i := 0; i < 2000; i++ {
			pick()
		}
		if a := testing.AllocsPerRun(2000, pick); a != 0 {
			t.Errorf("%s %v: %g allocations per pick", c.routing, c.params, a)
		}
	}
}

// TestPickersSwitchHostSets: a caller behind an edge hands its picker a
// different host set per region; picks stay valid in each, and a set with
// no healthy host (or no host) yields -1.
func TestPickersSwitchHostSets(t *testing.T) {
	for _, c := range pickerCases {
		p := build(t, c.routing, c.params, 1)
		a, b := mixedHosts(), newHosts(3)
		b.id0 = 100
		empty, down := newHosts(0), newHosts(2)
		down.healthy[0], down.healthy[1] = false, false
		for i := 0; i < 300; i++ {
			now := 100*sim.Second + sim.Time(i)*sim.Millisecond
			for _, eps := range []*hosts{a, b} {
				if k := p.Pick(now, eps, &topology.Request{Key: uint64(i)}); k < 0 || k >= eps.Len() {
					t.Fatalf("%s %v: picked %d of %d hosts", c.routing, c.params, k, eps.Len())
				}
			}
			if k := p.Pick(now, empty, &topology.Request{}); k != -1 {
				t.Fatalf("%s %v: picked %d from no hosts", c.routing, c.params, k)
			}
			if _, ownPanic := p.(topology.PanicHandler); !ownPanic {
				if k := p.Pick(now, down, &topology.Request{}); k != -1 {
					t.Fatalf("%s %v: picked %d with no healthy host", c.routing, c.params, k)
				}
			}
		}
	}
}

func TestRegistryParamsDocumented(t *testing.T) {
	for _, d := range Routings() {
		for _, p := range d.Params {
			if p.Description == "" || p.Source == "" {
				t.Errorf("%s: parameter %s lacks a description or source", d.Name, p.Name)
			}
			if err := p.Check(p.Default); err != nil {
				t.Errorf("%s: default of %s fails its own check: %v", d.Name, p.Name, err)
			}
		}
	}
}
