package metrics

import (
	"math"
	"testing"
)

func TestPairedDifferences(t *testing.T) {
	a := []float64{11, 22, 33, 44, 55}
	b := []float64{10, 20, 30, 40, 50}
	// Differences 1..5: mean 3, half-width t(0.975,4)·sqrt(2.5)/sqrt(5) = 1.963243.
	d := Paired(a, b)
	if d.N != 5 || d.Mean != 3 || math.Abs(d.HalfWidth()-1.963243) > 1e-6 || !d.Significant() {
		t.Fatalf("paired %+v", d)
	}
	// Unpaired, the two intervals overlap widely: pairing is what separates them.
	if sa, sb := Aggregate(a), Aggregate(b); sa.CILow > sb.CIHigh {
		t.Fatalf("unpaired intervals do not overlap: %+v %+v", sa, sb)
	}
	if z := Paired([]float64{1, 2, math.NaN()}, []float64{1, 3, 4}); z.N != 2 || z.Significant() {
		t.Fatalf("NaN-skipping, noisy difference %+v", z)
	}
}
