package strategies

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// TestGRPCWRRWeight checks gRFC A58's formula
// qps / (utilization + eps/qps × error_utilization_penalty).
func TestGRPCWRRWeight(t *testing.T) {
	cases := []struct{ qps, eps, util, penalty, want float64 }{
		{100, 0, 0.5, 1, 200},
		{100, 10, 0.5, 1, 100 / 0.6},
		{100, 10, 0.5, 2, 100 / 0.7},
		{100, 10, 0.5, 0, 200},
		{100, 0, 0, 1, 0}, // empty report: ignored
		{0, 0, 0.5, 1, 0},
	}
	for _, c := range cases {
		if got := grpcWRRWeight(c.qps, c.eps, c.util, c.penalty); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("qps %g eps %g util %g penalty %g: weight %g, want %g", c.qps, c.eps, c.util, c.penalty, got, c.want)
		}
	}
}

// orcaWorld drives a gRPC WRR picker second by second: reporting hosts send
// a fresh report each second (emitted at that second), and the picker makes
// picksPerSecond picks.
type orcaWorld struct {
	h      *hosts
	p      topology.Picker
	report []bool // which hosts report
}

func newOrcaWorld(t *testing.T, util []float64, params sim.Params) *orcaWorld {
	h := newHosts(len(util))
	w := &orcaWorld{h: h, p: build(t, "grpc-wrr", params, 1), report: make([]bool, len(util))}
	for i, u := range util {
		h.report[i] = topology.Signal{QPS: 100, Utilization: u}
		w.report[i] = u > 0
	}
	return w
}

// run advances from second from to second to (exclusive), returning the
// picks per host made during the last second.
func (w *orcaWorld) run(t *testing.T, from, to int) []int {
	var counts []int
	for s := from; s < to; s++ {
		now := sim.Time(s) * sim.Second
		for i, on := range w.report {
			if on {
				w.h.report[i].Emitted, w.h.report[i].Valid = now, true
			}
		}
		counts = make([]int, w.h.Len())
		for k := 0; k < 700; k++ {
			counts[w.p.Pick(now+sim.Time(k)*sim.Millisecond, w.h, nil)]++
		}
	}
	return counts
}

func within1(counts []int, want ...int) bool {
	for i := range want {
		if counts[i] < want[i]-2 || counts[i] > want[i]+2 {
			return false
		}
	}
	return true
}

// TestGRPCWRRBlackoutAndExpiry: hosts at 50% and 25% utilisation serving
// 100 qps weigh 200 and 400. Their weights are ignored (plain round robin)
// until they have reported for blackout_period (10 s); a host that stops
// reporting loses its weight after weight_expiration_period (3 min) and,
// when it reports again, waits out a new blackout.
func TestGRPCWRRBlackoutAndExpiry(t *testing.T) {
	w := newOrcaWorld(t, []float64{0.5, 0.25}, nil)
	if c := w.run(t, 0, 10); !within1(c, 350, 350) {
		t.Errorf("within the blackout: %v, want round robin", c)
	}
	if c := w.run(t, 10, 12); !within1(c, 233, 467) {
		t.Errorf("after the blackout: %v, want 1:2", c)
	}
	w.report[1] = false // host 1 goes silent at 12 s (last report emitted at 11 s)
	if c := w.run(t, 12, 11+180); !within1(c, 233, 467) {
		t.Errorf("silent for less than 3 min: %v, want weights still 1:2", c)
	}
	if c := w.run(t, 11+180, 11+182); !within1(c, 350, 350) {
		t.Errorf("silent for 3 min: %v, want round robin (one weighted host)", c)
	}
	w.report[1] = true // reports again from 193 s
	if c := w.run(t, 193, 193+10); !within1(c, 350, 350) {
		t.Errorf("reporting again, within a new blackout: %v, want round robin", c)
	}
	if c := w.run(t, 203, 205); !within1(c, 233, 467) {
		t.Errorf("after the new blackout: %v, want 1:2", c)
	}
	// A restart (reconnect) restarts the blackout too.
	w.h.since[0] = 205 * sim.Second
	if c := w.run(t, 205, 214); !within1(c, 350, 350) {
		t.Errorf("after host 0 restarted: %v, want round robin", c)
	}
	if c := w.run(t, 215, 217); !within1(c, 233, 467) {
		t.Errorf("blackout over after the restart: %v, want 1:2", c)
	}
}

// TestGRPCWRRMeanWeight: a host without a usable weight gets the mean of
// the others (A58), here (200+400)/2 = 300.
func TestGRPCWRRMeanWeight(t *testing.T) {
	w := newOrcaWorld(t, []float64{0.5, 0.25, 0}, nil)
	if c := w.run(t, 0, 12); !within1(c, 156, 311, 233) {
		t.Errorf("%v, want 2:4:3", c)
	}
}

// TestGRPCWRRUpdatePeriod: weights are recomputed at most every
// weight_update_period; a report changing mid-period shows only at the
// next recomputation.
func TestGRPCWRRUpdatePeriod(t *testing.T) {
	w := newOrcaWorld(t, []float64{0.5, 0.25}, sim.Params{"weight_update_period": 5 * sim.Second})
	w.run(t, 0, 16) // weights in use since the recomputation at 15 s
	w.h.report[1].Utilization = 0.5
	var c []int
	for s := 16; s < 20; s++ { // still the old weights until 20 s
		if c = w.run(t, s, s+1); !within1(c, 233, 467) {
			t.Errorf("at %d s, before the next recomputation: %v, want the old 1:2", s, c)
		}
	}
	if c = w.run(t, 20, 21); !within1(c, 350, 350) {
		t.Errorf("after the recomputation: %v, want 1:1", c)
	}
}

// TestGRPCWRRDesynchronised: each decider's schedule starts at random
// deadlines, so a fleet does not send its first picks to one host.
func TestGRPCWRRDesynchronised(t *testing.T) {
	first := make([]int, 4)
	for d := 0; d < 400; d++ {
		h := newHosts(4)
		for i := range h.report {
			h.report[i] = topology.Signal{QPS: 100, Utilization: 0.5, Valid: true}
		}
		p := build(t, "grpc-wrr", sim.Params{"blackout_period": sim.Time(0)}, uint64(d))
		first[p.Pick(sim.Second, h, nil)]++
	}
	for i, c := range first {
		if !binomialOK(c, 400, 0.25, 5) {
			t.Errorf("host %d took %d of 400 first picks, want about 100: %v", i, c, first)
		}
	}
	h := newHosts(2)
	h.healthy[0], h.healthy[1] = false, false
	if k := build(t, "grpc-wrr", nil, 1).Pick(0, h, nil); k != -1 {
		t.Errorf("picked %d with no healthy host", k)
	}
}
