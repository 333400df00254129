package strategies

import (
	"math"
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// TestPriorityLoad checks the tables of Envoy's priority.rst and
// panic_threshold.rst (percent healthy per level, of 100 hosts each) and the
// total-panic vectors of Envoy's load_balancer_impl_test.cc.
func TestPriorityLoad(t *testing.T) {
	cases := []struct {
		name           string
		healthy, total []int
		threshold      float64
		load           []int
		nth            int
		panic          []bool
	}{
		// priority.rst, two levels, P1 fully healthy.
		{"P0 100%", []int{100, 100}, []int{100, 100}, 0.5, []int{100, 0}, 100, []bool{false, false}},
		{"P0 72%", []int{72, 100}, []int{100, 100}, 0.5, []int{100, 0}, 100, []bool{false, false}},
		{"P0 71%", []int{71, 100}, []int{100, 100}, 0.5, []int{99, 1}, 100, []bool{false, false}},
		{"P0 50%", []int{50, 100}, []int{100, 100}, 0.5, []int{70, 30}, 100, []bool{false, false}},
		{"P0 25%", []int{25, 100}, []int{100, 100}, 0.5, []int{35, 65}, 100, []bool{false, false}},
		{"P0 0%", []int{0, 100}, []int{100, 100}, 0.5, []int{0, 100}, 100, []bool{false, false}},
		// priority.rst, three levels.
		{"71/71/100", []int{71, 71, 100}, []int{100, 100, 100}, 0.5, []int{99, 1, 0}, 100, []bool{false, false, false}},
		{"25/25/100", []int{25, 25, 100}, []int{100, 100, 100}, 0.5, []int{35, 35, 30}, 100, []bool{false, false, false}},
		// priority.rst leaves panic aside: with Envoy's default threshold
		// every level here is below 50% and the total health below 100, so
		// all three panic and the split follows host counts instead.
		{"25/25/20, panic off", []int{25, 25, 20}, []int{100, 100, 100}, 0, []int{36, 36, 28}, 98, []bool{false, false, false}},
		{"25/25/20", []int{25, 25, 20}, []int{100, 100, 100}, 0.5, []int{34, 33, 33}, 98, []bool{true, true, true}},
		// panic_threshold.rst.
		{"panic 25/25", []int{25, 25}, []int{100, 100}, 0.5, []int{50, 50}, 70, []bool{true, true}},
		{"panic 5/65", []int{5, 65}, []int{100, 100}, 0.5, []int{7, 93}, 98, []bool{true, false}},
		// load_balancer_impl_test.cc GentleFailoverWithExtraLevels: total panic
		// splits by host count, rounding to the first non-empty level.
		{"1 of 5 each", []int{1, 1, 1}, []int{5, 5, 5}, 0.5, []int{34, 33, 33}, 84, []bool{true, true, true}},
		{"all down 5/3/2", []int{0, 0, 0}, []int{5, 3, 2}, 0.5, []int{50, 30, 20}, 0, []bool{true, true, true}},
		{"all down, one level", []int{0}, []int{4}, 0.5, []int{100}, 0, []bool{true}},
		// Panic disabled: nothing healthy ⇒ P0 nominally, no panic.
		{"all down, panic off", []int{0, 0}, []int{4, 4}, 0, []int{100, 0}, 0, []bool{false, false}},
	}
	for _, c := range cases {
		plan := PriorityLoad(c.healthy, c.total, 1.4, c.threshold)
		if !slices.Equal(plan.Load, c.load) || plan.NTH != c.nth || !slices.Equal(plan.Panic, c.panic) {
			t.Errorf("%s: load %v, NTH %d, panic %v; want %v, %d, %v", c.name, plan.Load, plan.NTH, plan.Panic, c.load, c.nth, c.panic)
		}
	}
}

// TestLocalityShares checks locality_weight.rst's table: X of weight 1 and
// Y of weight 2 (100% healthy); X's share as its healthy fraction falls.
func TestLocalityShares(t *testing.T) {
	for _, c := range []struct{ healthy, want int }{{100, 33}, {70, 33}, {69, 32}, {50, 26}, {25, 15}, {0, 0}} {
		s := LocalityShares([]float64{1, 2}, []int{c.healthy, 100}, []int{100, 100}, 1.4)
		if got := int(math.Round(100 * s[0])); got != c.want {
			t.Errorf("X %d%% healthy: X gets %.2f%%, want %d%%", c.healthy, 100*s[0], c.want)
		}
	}
}

// levels makes a host set with the given hosts and healthy hosts per
// priority level; hosts are ordered by level, healthy ones first.
func levels(total, healthy []int) *hosts {
	n := 0
	for _, t := range total {
		n += t
	}
	h := newHosts(n)
	i := 0
	for p, t := range total {
		for k := 0; k < t; k++ {
			h.priority[i], h.healthy[i], h.locality[i] = p, k < healthy[p], 100+p
			i++
		}
	}
	return h
}

// TestLocalityPick drives the picker end to end: traffic splits over the
// levels as PriorityLoad says, failover and panic picks are reported as
// such, and panic mode includes unhealthy hosts.
func TestLocalityPick(t *testing.T) {
	const picks = 40000
	cases := []struct {
		name           string
		total, healthy []int
		share          []float64 // per level
		panic          []bool
	}{
		{"P0 50% healthy", []int{100, 100}, []int{50, 100}, []float64{0.70, 0.30}, []bool{false, false}},
		{"panic 5/65", []int{100, 100}, []int{5, 65}, []float64{0.07, 0.93}, []bool{true, false}},
		{"one level, all down", []int{10}, []int{0}, []float64{1}, []bool{true}},
	}
	for _, c := range cases {
		h := levels(c.total, c.healthy)
		p := build(t, "locality", nil, 1).(*Locality)
		per := make([]int, len(c.total))
		unhealthy := make([]int, len(c.total))
		for i := 0; i < picks; i++ {
			k := p.Pick(0, h, nil)
			if k < 0 {
				t.Fatalf("%s: no host", c.name)
			}
			lv := h.priority[k]
			per[lv]++
			if !h.healthy[k] {
				unhealthy[lv]++
			}
			want := topology.FallbackNone
			switch {
			case c.panic[lv]:
				want = topology.FallbackPanic
			case lv > 0:
				want = topology.FallbackFailover
			}
			if got := p.LastFallback(); got != want {
				t.Fatalf("%s: pick on P%d reported %v, want %v", c.name, lv, got, want)
			}
		}
		for lv := range per {
			if !binomialOK(per[lv], picks, c.share[lv], 5) {
				t.Errorf("%s: P%d got %d of %d picks, want %.0f%%", c.name, lv, per[lv], picks, 100*c.share[lv])
			}
			if c.panic[lv] && c.healthy[lv] < c.total[lv] && unhealthy[lv] == 0 {
				t.Errorf("%s: P%d is in panic but no pick went to its unhealthy hosts", c.name, lv)
			}
			if !c.panic[lv] && unhealthy[lv] > 0 {
				t.Errorf("%s: P%d is not in panic but %d picks went to unhealthy hosts", c.name, lv, unhealthy[lv])
			}
		}
	}
	// Panic disabled and nothing healthy: "no healthy upstream".
	h := levels([]int{3, 3}, []int{0, 0})
	noPanic := build(t, "locality", nil, 1)
	noPanic.(topology.PanicHandler).SetPanicThreshold(0)
	if k := noPanic.Pick(0, h, nil); k != -1 {
		t.Errorf("panic off, no healthy host: picked %d", k)
	}
}

// TestLocalityWeightedPick: through Pick, locality X (100 hosts of weight 1,
// 69 healthy) against Y (100 of weight 2, all healthy) gets 96/296 of
// traffic, the documented 32%; the locality schedule is EDF, so the share is
// exact over whole cycles.
func TestLocalityWeightedPick(t *testing.T) {
	h := newHosts(200)
	for i := 0; i < 200; i++ {
		if i >= 100 {
			h.locality[i], h.weight[i] = 2, 2
		} else {
			h.locality[i], h.healthy[i] = 1, i < 69
		}
	}
	for _, inner := range []string{"round-robin", "random", "least-request"} {
		p := build(t, "locality", sim.Params{"locality_weighted": true, "inner": inner}, 1)
		counts := pickCounts(t, p, h, 0, 296*100)
		x := 0
		for i := 0; i < 100; i++ {
			if counts[i] > 0 && !h.healthy[i] {
				t.Fatalf("inner %s: picked unhealthy host %d", inner, i)
			}
			x += counts[i]
		}
		if x < 9600-1 || x > 9600+1 {
			t.Errorf("inner %s: X got %d of 29600 picks, want 9600 (32.4%%)", inner, x)
		}
	}
}
