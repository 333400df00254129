package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSampleTimeSaturates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		d    Dist
		want Time
	}{
		{Constant{0.25}, 250 * Millisecond},
		{Constant{-1}, 0},
		{Constant{1e300}, MaxDraw},
		{Constant{math.Inf(1)}, MaxDraw},
		{Constant{math.NaN()}, MaxDraw},
		{LogNormal{Mu: 0, Sigma: 1e300}, -1}, // either tail: 0 or MaxDraw, never wrapped
	} {
		for range 100 {
			got := SampleTime(tc.d, r)
			if tc.want >= 0 && got != tc.want {
				t.Fatalf("SampleTime(%v) = %v, want %v", tc.d, got, tc.want)
			}
			if got < 0 || got > MaxDraw {
				t.Fatalf("SampleTime(%v) = %v, outside [0, MaxDraw]", tc.d, got)
			}
		}
	}
}

func TestTail(t *testing.T) {
	for _, tc := range []struct {
		d    Dist
		want float64
	}{
		{Constant{2}, 2},
		{Exponential{M: 1}, -math.Log(1e-9)},
		{Uniform{Min: 1, Max: 3}, 3},
		{Pareto{Xm: 1, Alpha: 1}, 1e9},
		{LogNormal{Mu: 0, Sigma: 1}, math.Exp(5.997807015)},
		{Weibull{K: 1, Lambda: 1}, -math.Log(1e-9)},
	} {
		if got := Tail(tc.d); math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("Tail(%v) = %g, want %g", tc.d, got, tc.want)
		}
	}
	if got := Tail(Pareto{Xm: 0.01, Alpha: 0.05}); !(got > MaxDraw.Seconds()) {
		t.Errorf("Pareto shape 0.05 tail %g should exceed MaxDraw", got)
	}
}

// TestAfterSaturates: a delay that would overflow Time schedules at Never
// instead of wrapping into the past (which panicked).
func TestAfterSaturates(t *testing.T) {
	e := NewEngine()
	k := e.Handle("x", func(uint64) {})
	e.At(Hour, 0, k, 0)
	e.Run(Hour)
	e.After(Never-1, 0, k, 0) // Hour + Never-1 overflows
	if got := e.NextAt(); got != Never {
		t.Fatalf("next event at %v, want never", got)
	}
}
