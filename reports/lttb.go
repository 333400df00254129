package reports

import "math"

// downsample reduces the series (x[i], y[i]), x increasing, to about n
// points for plotting with largest-triangle-three-buckets (Steinarsson,
// "Downsampling Time Series for Visual Representation", 2013): the first
// and last points are kept, the rest is cut into n−2 buckets, and from each
// bucket the point forming the largest triangle with the point kept before
// it and the mean of the next bucket is kept. That keeps the shape — spikes
// and dips — where averaging or striding would flatten it. On top of LTTB
// the series' global maximum and minimum are always kept.
//
// Undefined values (NaN: a bucket with no responses has no latency) are
// gaps, not points: the finite points are downsampled, and a NaN point is
// put back wherever the original had a gap at least as long as the
// downsampling stride, so the plotted line breaks where the data did.
// Shorter gaps vanish at this resolution.
//
// Series of at most n points are returned unchanged. The result has at most
// n+1 finite points (n+1 only when the extremes share a bucket). Cost:
// O(len(x)) time and memory.
func downsample(x, y []float64, n int) (xs, ys []float64) {
	if n < 3 {
		n = 3
	}
	if len(x) <= n {
		return x, y
	}
	// The finite points, and for each the length of the NaN gap before it.
	fx := make([]float64, 0, len(x))
	fy := make([]float64, 0, len(y))
	gapBefore := make([]int, 0, len(x))
	gapStart := make([]float64, 0, len(x))
	gap, start := 0, 0.0
	for i := range x {
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			if gap == 0 {
				start = x[i]
			}
			gap++
			continue
		}
		fx, fy = append(fx, x[i]), append(fy, y[i])
		gapBefore, gapStart = append(gapBefore, gap), append(gapStart, start)
		gap = 0
	}
	trailing, trailingStart := gap, start
	stride := float64(len(x)) / float64(n)

	keep := lttb(fx, fy, n)
	// total NaN run length between consecutive kept points decides a marker.
	for k, i := range keep {
		if k > 0 {
			longest, prev := 0, keep[k-1]
			var at float64
			for j := prev + 1; j <= i; j++ {
				if gapBefore[j] > longest {
					longest, at = gapBefore[j], gapStart[j]
				}
			}
			if longest > 0 && float64(longest) >= stride {
				xs, ys = append(xs, at), append(ys, math.NaN())
			}
		} else if gapBefore[i] > 0 && float64(gapBefore[i]) >= stride {
			xs, ys = append(xs, gapStart[i]), append(ys, math.NaN())
		}
		xs, ys = append(xs, fx[i]), append(ys, fy[i])
	}
	if trailing > 0 && float64(trailing) >= stride {
		xs, ys = append(xs, trailingStart), append(ys, math.NaN())
	}
	return xs, ys
}

// lttb returns the indices, increasing, of the points of (x, y) that
// largest-triangle-three-buckets keeps for a target of n points, plus the
// global extremes. All values are finite.
func lttb(x, y []float64, n int) []int {
	if len(x) <= n {
		idx := make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	hi, lo := 0, 0
	for i := range y {
		if y[i] > y[hi] {
			hi = i
		}
		if y[i] < y[lo] {
			lo = i
		}
	}
	keep := make([]int, 0, n+1)
	keep = append(keep, 0)
	every := float64(len(x)-2) / float64(n-2)
	a := 0
	for b := 0; b < n-2; b++ {
		from, to := int(float64(b)*every)+1, int(float64(b+1)*every)+1
		// mean of the next bucket (the last point for the last bucket)
		nf, nt := to, min(int(float64(b+2)*every)+1, len(x))
		if b == n-3 {
			nf, nt = len(x)-1, len(x)
		}
		var mx, my float64
		for j := nf; j < nt; j++ {
			mx += x[j]
			my += y[j]
		}
		mx /= float64(nt - nf)
		my /= float64(nt - nf)

		hasHi, hasLo := hi >= from && hi < to, lo >= from && lo < to
		switch {
		case hasHi && hasLo && hi != lo:
			keep = append(keep, min(hi, lo), max(hi, lo))
			a = max(hi, lo)
			continue
		case hasHi:
			keep, a = append(keep, hi), hi
			continue
		case hasLo:
			keep, a = append(keep, lo), lo
			continue
		}
		best, bestArea := from, -1.0
		for j := from; j < to; j++ {
			area := math.Abs((x[a]-mx)*(y[j]-y[a]) - (x[a]-x[j])*(my-y[a]))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		keep, a = append(keep, best), best
	}
	return append(keep, len(x)-1)
}
