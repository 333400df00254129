package reports

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func noisySeries(n int, seed uint64) (x, y []float64) {
	r := rand.New(rand.NewPCG(seed, 0))
	for i := range n {
		x = append(x, float64(i)*0.5)
		y = append(y, 10+math.Sin(float64(i)/500)+r.NormFloat64()*0.2)
	}
	return x, y
}

// TestDownsampleKeepsShape: 100,000 points become about 2,000; the
// endpoints, a one-point spike and a one-point dip survive.
func TestDownsampleKeepsShape(t *testing.T) {
	x, y := noisySeries(100_000, 1)
	y[54_321] = 100 // spike
	y[77_777] = -50 // dip
	xs, ys := downsample(x, y, 2000)
	if len(xs) < 1990 || len(xs) > 2001 || len(xs) != len(ys) {
		t.Fatalf("%d points, want about 2000", len(xs))
	}
	if xs[0] != x[0] || ys[0] != y[0] || xs[len(xs)-1] != x[len(x)-1] || ys[len(ys)-1] != y[len(y)-1] {
		t.Errorf("endpoints not kept: (%g,%g) … (%g,%g)", xs[0], ys[0], xs[len(xs)-1], ys[len(ys)-1])
	}
	if !slices.Contains(ys, 100) || !slices.Contains(ys, -50) {
		t.Errorf("the spike or the dip was lost")
	}
	if !slices.IsSorted(xs) {
		t.Errorf("x is not increasing")
	}
	for i, v := range xs {
		j := int(v * 2)
		if x[j] != v || y[j] != ys[i] {
			t.Fatalf("point %d (%g,%g) is not a point of the input", i, v, ys[i])
		}
	}
}

// TestDownsampleKeepsAPlateauSpike: a spike lasting a few samples in a
// flat series is kept even though every bucket's triangle area is tiny.
func TestDownsampleKeepsAPlateauSpike(t *testing.T) {
	x := make([]float64, 50_000)
	y := make([]float64, 50_000)
	for i := range x {
		x[i], y[i] = float64(i), 1
	}
	y[20_000], y[20_001] = 7, 9
	_, ys := downsample(x, y, 500)
	if slices.Max(ys) != 9 {
		t.Fatalf("max after downsampling %g, want 9", slices.Max(ys))
	}
}

func TestDownsampleShortSeriesUnchanged(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	y := []float64{5, math.NaN(), 7, 8}
	xs, ys := downsample(x, y, 2000)
	if !slices.Equal(xs, x) || len(ys) != 4 || !math.IsNaN(ys[1]) {
		t.Fatalf("short series changed: %v %v", xs, ys)
	}
}

// TestDownsampleKeepsLongGaps: a long run of undefined values (a crash: no
// responses, no latency) stays a gap; isolated undefined values vanish.
func TestDownsampleKeepsLongGaps(t *testing.T) {
	x, y := noisySeries(40_000, 2)
	for i := 10_000; i < 12_000; i++ {
		y[i] = math.NaN()
	}
	y[30_000] = math.NaN()
	xs, ys := downsample(x, y, 1000)
	gaps := 0
	for i, v := range ys {
		if math.IsNaN(v) {
			gaps++
			if xs[i] != x[10_000] {
				t.Errorf("gap marker at x=%g, want %g", xs[i], x[10_000])
			}
		}
	}
	if gaps != 1 {
		t.Fatalf("%d gap markers, want 1", gaps)
	}
	if len(xs) > 1002 {
		t.Fatalf("%d points", len(xs))
	}
}
