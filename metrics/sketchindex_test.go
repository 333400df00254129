package metrics

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestIndexedSketchSameAsAdd: inserting through a shared, memoised bin
// index gives the sketch Add gives (same count, zero count and quantiles),
// for values in and out of the indexable range, repeated or not.
func TestIndexedSketchSameAsAdd(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := newIndexedSketch(), newIndexedSketch()
		want := newSketch()
		x := newLatencyIndex()
		vals := rapid.SliceOf(rapid.OneOf(
			rapid.Float64Range(1e-7, 100),
			rapid.SampledFrom([]float64{0, 1e-320, 0.005, 0.005, math.MaxFloat64, -1}),
		)).Draw(t, "values")
		for _, v := range vals {
			a.add(v, x)
			b.add(v, x)
			_ = want.Add(v)
		}
		for _, s := range []indexedSketch{a, b} {
			if s.GetCount() != want.GetCount() || s.GetZeroCount() != want.GetZeroCount() {
				t.Fatalf("count %v zero %v, want %v %v", s.GetCount(), s.GetZeroCount(), want.GetCount(), want.GetZeroCount())
			}
			for q := 0.0; q <= 1; q += 0.01 {
				if g, w := quantile(s.DDSketch, q), quantile(want, q); g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
					t.Fatalf("q %v: %v, want %v", q, g, w)
				}
			}
		}
	})
}
