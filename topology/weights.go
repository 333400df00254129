package topology

import "math"

// Weights are routing weights over a fixed list of targets (a view's
// hosts, an edge's clusters): entry i is target i's share. One meaning of
// empty everywhere: nil weights mean "no weights set", every target equal
// (a uniform split over however many targets the other side has).
type Weights []float64

// Normalize scales w in place to sum 1. Entries that are not positive
// finite numbers (negative, zero, NaN, +Inf) count as 0. It reports false,
// leaving such entries 0 and the others unscaled, when nothing is left.
// O(len(w)), no allocation.
func (w Weights) Normalize() bool {
	sum := 0.0
	for i, x := range w {
		if !(x > 0) || math.IsInf(x, 1) {
			w[i] = 0
			continue
		}
		sum += x
	}
	if sum <= 0 {
		return false
	}
	for i := range w {
		w[i] /= sum
	}
	return true
}

// TV is the total variation distance between w and o: half the sum of
// the absolute differences of their entries, in [0, 1] for normalised
// weights. A nil side is uniform over the other's length; entries beyond
// the shorter side count as 0. O(max(len(w), len(o))).
func (w Weights) TV(o Weights) float64 {
	n := max(len(w), len(o))
	if n == 0 {
		return 0
	}
	at := func(v Weights, i int) float64 {
		switch {
		case v == nil:
			return 1 / float64(n)
		case i < len(v):
			return v[i]
		}
		return 0
	}
	d := 0.0
	for i := 0; i < n; i++ {
		d += math.Abs(at(w, i) - at(o, i))
	}
	return d / 2
}
