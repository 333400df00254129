package strategies

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// fixedWeights is a weigher with constant weights.
type fixedWeights []float64

func (w fixedWeights) weight(k int) float64 { return w[k] }

// edfSequence makes n picks from s.
func edfSequence(s *edf, w weigher, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = s.pickAndAdd(w)
	}
	return out
}

// TestEDFProportions: over whole cycles each entry is picked in proportion
// to its weight (edf_scheduler.h: deadline += 1/weight per pick).
func TestEDFProportions(t *testing.T) {
	w := fixedWeights{1, 2, 3, 4}
	var s edf
	for k := range w {
		s.add(k, w[k])
	}
	counts := make([]int, len(w))
	for _, k := range edfSequence(&s, w, 1000*10) {
		counts[k]++
	}
	for k, c := range counts {
		if want := 1000 * int(w[k]); c < want-1 || c > want+1 {
			t.Errorf("entry %d (weight %g) picked %d times in 1000 cycles, want %d ± 1", k, w[k], c, want)
		}
	}
	// A fresh schedule picks the heaviest entry first: the first-pick problem.
	s.reset()
	for k := range w {
		s.add(k, w[k])
	}
	if first := s.pickAndAdd(w); first != 3 {
		t.Errorf("fresh schedule picked %d first, want the heaviest (3)", first)
	}
}

// TestEDFInitWithPicks: Envoy's createWithPicks(P) leaves the scheduler
// as P picks from an empty one would: every entry has been picked the same
// number of times, except that where two entries' deadlines tie exactly at
// the cut the emulation may have taken the other one (the epsilon Envoy adds
// breaks such ties; "entries ... may be chosen a bit differently" in
// edf_scheduler.h). Includes Envoy's example of weights 25 and 75 with 23
// picks that motivated the epsilon.
func TestEDFInitWithPicks(t *testing.T) {
	// An entry picked c times is next due at (c+1)/w.
	picked := func(s *edf, w fixedWeights) []int {
		c := make([]int, len(s.q))
		for _, e := range s.q {
			c[e.entry] = int(math.Round(e.deadline*w[e.entry])) - 1
		}
		return c
	}
	for _, w := range []fixedWeights{{25, 75}, {1, 2, 3, 5}, {0.5, 1.5, 7, 2.25, 1}, {3, 1}, {1, 1, 1}} {
		for picks := uint32(0); picks < 1000; picks += 23 {
			var slow, fast edf
			for k := range w {
				slow.add(k, w[k])
			}
			edfSequence(&slow, w, int(picks))
			fast.initWithPicks(len(w), w, picks)
			a, b := picked(&slow, w), picked(&fast, w)
			sum := 0
			for k := range a {
				sum += b[k]
				if d := a[k] - b[k]; d < -1 || d > 1 {
					t.Errorf("weights %v, %d pre-picks: entry %d picked %d times, %d by createWithPicks", w, picks, k, a[k], b[k])
				}
			}
			if sum != int(picks) {
				t.Errorf("weights %v, %d pre-picks: createWithPicks made %d picks %v, picking made %v", w, picks, sum, b, a)
			}
		}
	}
}

func TestWeightedRoundRobinFollowsWeights(t *testing.T) {
	h := newHosts(5)
	copy(h.weight, []float64{1, 2, 3, 4, 10})
	h.healthy[4] = false
	p := build(t, "weighted-round-robin", nil, 1)
	counts := pickCounts(t, p, h, 0, 10*1000)
	if counts[4] != 0 {
		t.Fatal("picked the unhealthy host")
	}
	for k := 0; k < 4; k++ {
		if want := 1000 * int(h.weight[k]); counts[k] < want-1 || counts[k] > want+1 {
			t.Errorf("host %d (weight %g): %d picks, want %d ± 1", k, h.weight[k], counts[k], want)
		}
	}
	// Health changes rebuild the schedule.
	h.healthy[0], h.healthy[4] = false, true
	h.gen++
	counts = pickCounts(t, p, h, 0, 19*100)
	if counts[0] != 0 || counts[4] < 999 || counts[4] > 1001 {
		t.Errorf("after the health change: %v, want host 0 unused and host 4 at 1000", counts)
	}
	for i := range h.healthy {
		h.healthy[i] = false
	}
	h.gen++
	if p.Pick(0, h, nil) != -1 {
		t.Error("picked a host when none is healthy")
	}
}

func TestWeightedRoundRobinEqualWeightsIsRoundRobin(t *testing.T) {
	h := newHosts(4)
	p := build(t, "weighted-round-robin", nil, 3)
	prev := -1
	for i := 0; i < 40; i++ {
		k := p.Pick(0, h, nil)
		if prev >= 0 && k != (prev+1)%4 {
			t.Fatalf("pick %d: %d after %d, want plain round robin", i, k, prev)
		}
		prev = k
	}
}

// TestWeightedRoundRobinFirstPick reproduces the fleet-wide first-pick
// problem (envoy#31378) and its fixes: after a host-set change, a fleet of
// deciders with weights 1,1,1,1,4 sends its first picks
//   - all to the heavy host without desynchronisation,
//   - 3/5 to it with the 2018 fix (pre-advance seed mod 5 picks, PR #3271:
//     the schedule starts 4,4,4,0,1,…),
//   - its fair share 4/8 with the 2024 fix (PR #32233).
func TestWeightedRoundRobinFirstPick(t *testing.T) {
	const fleet = 4000
	cases := []struct {
		params sim.Params
		want   float64
	}{
		{sim.Params{"desynchronize": false}, 1},
		{sim.Params{"legacy_init": true}, 3.0 / 5},
		{nil, 4.0 / 8},
	}
	for _, c := range cases {
		heavy := 0
		for d := 0; d < fleet; d++ {
			h := newHosts(5)
			copy(h.weight, []float64{1, 1, 1, 1, 4})
			p := build(t, "weighted-round-robin", c.params, uint64(d))
			if p.Pick(0, h, nil) == 4 {
				heavy++
			}
		}
		if !binomialOK(heavy, fleet, c.want, 5) {
			t.Errorf("%v: %d of %d deciders picked the heavy host first, want %.0f%%", c.params, heavy, fleet, 100*c.want)
		} else {
			t.Logf("%v: %.1f%% of first picks on the heavy host (want %.0f%%)", c.params, 100*float64(heavy)/fleet, 100*c.want)
		}
	}
}

func TestSlowStartFactor(t *testing.T) {
	s := slowStart{window: 10 * sim.Second, aggression: 1, minWeight: 0.1}
	since := 100 * sim.Second
	cases := []struct {
		s    slowStart
		now  sim.Time
		want float64
	}{
		{s, since + 5*sim.Second, 0.5},
		{s, since + sim.Second/2, 0.1}, // time factor 0.05 < min weight
		{s, since, 0.1},                // max(age, 1ms)
		{s, since + 10*sim.Second, 1},  // window over
		{slowStart{window: 10 * sim.Second, aggression: 2, minWeight: 0.1}, since + 5*sim.Second, 0.7071067811865476},
		{slowStart{window: 10 * sim.Second, aggression: 0.5, minWeight: 0.1}, since + 5*sim.Second, 0.25},
		{slowStart{}, since + sim.Second, 1}, // off
	}
	for _, c := range cases {
		if got := c.s.factor(c.now, since); got != c.want {
			t.Errorf("%+v at %v: factor %g, want %g", c.s, c.now-since, got, c.want)
		}
	}
	if got := s.factor(sim.Second, 0); got != 1 {
		t.Errorf("host up since the start of the run: factor %g, want 1", got)
	}
}

// TestSlowStartShares: a host restarted 5 s into a 10 s linear window has
// half its weight, so with two equal hosts it gets 1/3 of the picks — for
// round-robin, weighted-round-robin and least-request alike.
func TestSlowStartShares(t *testing.T) {
	for _, routing := range []string{"round-robin", "weighted-round-robin", "least-request"} {
		h := newHosts(2)
		h.since[1] = 100 * sim.Second
		p := build(t, routing, sim.Params{"slow_start_window": 10 * sim.Second}, 1)
		counts := pickCounts(t, p, h, 105*sim.Second, 3000)
		if counts[1] < 999 || counts[1] > 1001 {
			t.Errorf("%s: ramping host got %d of 3000 picks, want 1000", routing, counts[1])
		}
	}
}

// TestRoundRobinUnchangedWithoutSlowStart: round-robin with its default
// parameters is the same picker as before slow start existed.
func TestRoundRobinUnchangedWithoutSlowStart(t *testing.T) {
	h := newHosts(7)
	h.healthy[3] = false
	a, b := build(t, "round-robin", nil, 9), NewRoundRobin(sim.NewStream(9, "round-robin"))
	for i := 0; i < 50; i++ {
		if x, y := a.Pick(0, h, nil), b.Pick(0, h, nil); x != y {
			t.Fatalf("pick %d: %d, want %d", i, x, y)
		}
	}
}

var _ weigher = fixedWeights(nil)
var _ topology.Picker = (*WeightedRoundRobin)(nil)
