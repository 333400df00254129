package topology

import (
	"math"
	"testing"
)

func TestWeightsNormalize(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Weights
		want Weights
		ok   bool
	}{
		{"scaled", Weights{1, 3}, Weights{0.25, 0.75}, true},
		{"negatives and NaN count as 0", Weights{-1, math.NaN(), 2, math.Inf(1)}, Weights{0, 0, 1, 0}, true},
		{"nothing left", Weights{0, -2}, Weights{0, 0}, false},
		{"empty", Weights{}, Weights{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := append(Weights(nil), c.in...)
			if ok := w.Normalize(); ok != c.ok {
				t.Fatalf("Normalize(%v) = %v, want %v", c.in, ok, c.ok)
			}
			for i := range w {
				if math.Abs(w[i]-c.want[i]) > 1e-12 {
					t.Fatalf("Normalize(%v) = %v, want %v", c.in, w, c.want)
				}
			}
		})
	}
}

func TestWeightsTV(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b Weights
		want float64
	}{
		{"equal", Weights{0.5, 0.5}, Weights{0.5, 0.5}, 0},
		{"disjoint", Weights{1, 0}, Weights{0, 1}, 1},
		{"nil is uniform", nil, Weights{1, 0}, 0.5},
		{"both nil", nil, nil, 0},
		{"shorter side pads with 0", Weights{1}, Weights{0.5, 0.5}, 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.TV(c.b); math.Abs(got-c.want) > 1e-12 {
				t.Fatalf("%v.TV(%v) = %g, want %g", c.a, c.b, got, c.want)
			}
			if got := c.b.TV(c.a); math.Abs(got-c.want) > 1e-12 {
				t.Fatalf("TV is not symmetric: %v.TV(%v) = %g", c.b, c.a, got)
			}
		})
	}
}
