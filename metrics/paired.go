package metrics

import "math"

// Paired summarises the per-replication differences a[r] − b[r] of two
// strategies run on common random numbers (replication r of each used
// the same seed): the mean difference and its 95% Student-t interval
// (the paired t interval). Replications where either value is undefined
// are skipped. Because both sides share their random numbers, the
// differences vary much less than either side, and the interval is far
// tighter than comparing two independent intervals.
func Paired(a, b []float64) Stat {
	d := make([]float64, 0, len(a))
	for r := range min(len(a), len(b)) {
		if math.IsNaN(a[r]) || math.IsNaN(b[r]) {
			d = append(d, math.NaN())
			continue
		}
		d = append(d, a[r]-b[r])
	}
	return Aggregate(d)
}

// Significant reports whether a paired difference's 95% interval
// excludes zero (it needs at least two replications).
func (s Stat) Significant() bool {
	return s.N >= 2 && (s.CILow > 0 || s.CIHigh < 0)
}
