package metrics

import (
	"math"
	"testing"
)

// TestFlapDetectorNagios checks Nagios' weighted percent state change
// (nagioscore base/flapping.c): 21 states, transition x of 20 weighs
// 0.75 + (x−1)·0.5/19, percent = 100·Σ/20; flapping starts at ≥ 20% and
// stops at ≤ 5%.
func TestFlapDetectorNagios(t *testing.T) {
	f := newFlapDetector()
	for i := 0; i < 21; i++ {
		f.record(i%2 == 0)
	}
	if p := f.PercentChange(); math.Abs(p-100) > 1e-9 || !f.flapping {
		t.Fatalf("alternating states: %.4f%% flapping=%v, want 100%% and flapping", p, f.flapping)
	}

	f = newFlapDetector()
	for i := 0; i < 20; i++ {
		f.record(false)
	}
	f.record(true) // one change, the newest: weight 1.25
	if p := f.PercentChange(); math.Abs(p-6.25) > 1e-9 || f.flapping {
		t.Fatalf("one recent change: %.4f%%, want 6.25%% and not flapping", p)
	}
	for _, s := range []bool{false, true, false} { // four recent changes
		f.record(s)
	}
	want := 100 * (4*0.75 + (16+17+18+19)*0.5/19) / 20
	if p := f.PercentChange(); math.Abs(p-want) > 1e-9 || !f.flapping {
		t.Fatalf("four recent changes: %.4f%% flapping=%v, want %.4f%% and flapping (≥ 20%%)", p, f.flapping, want)
	}
	// Steady states age the changes out; flapping holds above 5% and stops at or below it.
	stopped := -1
	for i := 1; i <= 21 && stopped < 0; i++ {
		f.record(false)
		if p := f.PercentChange(); !f.flapping {
			if p > 5 {
				t.Fatalf("stopped flapping at %.2f%%, above the 5%% low threshold", p)
			}
			stopped = i
		} else if p <= 5 {
			t.Fatalf("still flapping at %.2f%%", p)
		}
	}
	if stopped < 0 {
		t.Fatal("never stopped flapping")
	}
}
