package strategies

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// TestPeakEWMAFormula follows one host's cost through tower's PeakEwma
// rules: it starts at default_rtt, jumps to a higher round trip at once,
// moves towards a lower one by w = exp(−Δt/τ), decays towards 0 when read,
// and the load is cost × (pending+1).
func TestPeakEWMAFormula(t *testing.T) {
	h := newHosts(1)
	p := NewPeakEWMA(sim.NewStream(1, "ewma"), 10*sim.Second, 30*sim.Millisecond, 5)
	ms := float64(sim.Millisecond)
	if got := p.Load(0, h, 0); !near(got, 30*ms) {
		t.Fatalf("initial load %g ms, want default_rtt 30 ms", got/ms)
	}
	h.load[0] = 2 // pending
	p.ObserveResponse(sim.Second, 0, 100*sim.Millisecond, true)
	// The load read decays to now first: at 1 s, 100 ms is a fresh peak.
	if got, want := p.Load(sim.Second, h, 0), 100*ms*3; !near(got, want) {
		t.Fatalf("after a 100 ms peak: load %g ms, want %g", got/ms, want/ms)
	}
	p.ObserveResponse(11*sim.Second, 0, 10*sim.Millisecond, true) // Δt = τ
	cost := 100*ms*math.Exp(-1) + 10*ms*(1-math.Exp(-1))          // 43.1 ms
	if got := p.hosts[0].cost; !near(got, cost) {
		t.Fatalf("after a 10 ms response τ later: cost %g ms, want %g", got/ms, cost/ms)
	}
	if got, want := p.Load(21*sim.Second, h, 0), cost*math.Exp(-1)*3; !near(got, want) {
		t.Fatalf("read τ later with 2 pending: load %g ms, want %g", got/ms, want/ms)
	}
	// A restart starts a new estimate at default_rtt.
	h.since[0] = 30 * sim.Second
	h.load[0] = 0
	if got := p.Load(30*sim.Second, h, 0); !near(got, 30*ms) {
		t.Errorf("after a restart: load %g ms, want 30 ms", got/ms)
	}
}

// TestPeakEWMAPrefersCheaper: of two hosts, P2C always compares both, so the
// cheaper one always wins; with more hosts the dearest never does.
func TestPeakEWMAPrefersCheaper(t *testing.T) {
	h := newHosts(2)
	p := build(t, "peak-ewma", nil, 1).(*PeakEWMA)
	p.ObserveResponse(0, 0, 200*sim.Millisecond, true)
	p.ObserveResponse(0, 1, 50*sim.Millisecond, true)
	if counts := pickCounts(t, p, h, sim.Millisecond, 1000); counts[1] != 1000 {
		t.Errorf("%v, want every pick on the 50 ms host", counts)
	}
	h = newHosts(5)
	p = build(t, "peak-ewma", nil, 2).(*PeakEWMA)
	for i := 0; i < 5; i++ {
		p.ObserveResponse(0, i, sim.Time(i+1)*10*sim.Millisecond, true)
	}
	if counts := pickCounts(t, p, h, sim.Millisecond, 1000); counts[4] != 0 {
		t.Errorf("%v: the dearest host won a P2C comparison", counts)
	}
	h.load[0] = 20 // cost 10 ms × 21 is now the dearest
	if counts := pickCounts(t, p, h, sim.Millisecond, 1000); counts[0] != 0 {
		t.Errorf("%v: the host with 20 pending still won", counts)
	}
}

// TestPeakEWMAMaxEffort: with half the hosts unhealthy, a P2C pick lands on
// an unhealthy host only when both draws are unhealthy (2/9 for 5 of 10);
// Finagle retries max_effort times and then uses one more pick as it falls,
// so bad picks happen with probability (2/9)^(max_effort+1).
func TestPeakEWMAMaxEffort(t *testing.T) {
	h := newHosts(10)
	for i := 5; i < 10; i++ {
		h.healthy[i] = false
	}
	for _, c := range []struct {
		effort int64
		picks  int
	}{{1, 20000}, {3, 400000}} {
		p := build(t, "peak-ewma", sim.Params{"max_effort": c.effort}, 1)
		bad := 0
		for i := 0; i < c.picks; i++ {
			if !h.healthy[p.Pick(0, h, nil)] {
				bad++
			}
		}
		want := math.Pow(2.0/9, float64(c.effort+1))
		if !binomialOK(bad, c.picks, want, 5) {
			t.Errorf("max_effort %d: %d of %d picks unhealthy, want %.2g", c.effort, bad, c.picks, want)
		} else {
			t.Logf("max_effort %d: %.2g of picks unhealthy ((2/9)^%d = %.2g)", c.effort, float64(bad)/float64(c.picks), c.effort+1, want)
		}
	}
	for i := range h.healthy {
		h.healthy[i] = false
	}
	if k := build(t, "peak-ewma", nil, 1).Pick(0, h, nil); k != -1 {
		t.Errorf("picked %d with no healthy host", k)
	}
}

var _ topology.ResponseObserver = (*PeakEWMA)(nil)
