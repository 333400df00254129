package metrics

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Stat summarises one metric across replications.
type Stat struct {
	N      int     // replications with a defined value
	Mean   float64 // NaN when N = 0
	StdDev float64 // sample standard deviation; 0 when N < 2
	// CILow and CIHigh bound the 95% Student-t confidence interval of the
	// mean: mean ± t(0.975, N−1)·s/√N. Both equal Mean when N < 2.
	CILow, CIHigh float64
	Values        []float64 // per replication, in replication order (NaN where undefined)
}

// HalfWidth is the confidence interval's half width.
func (s Stat) HalfWidth() float64 { return (s.CIHigh - s.CILow) / 2 }

// Aggregate computes the mean and 95% confidence interval of xs, ignoring
// NaN entries (replications where the metric was undefined).
func Aggregate(xs []float64) Stat {
	st := Stat{Values: append([]float64(nil), xs...)}
	var ok []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	st.N = len(ok)
	if st.N == 0 {
		st.Mean, st.CILow, st.CIHigh = math.NaN(), math.NaN(), math.NaN()
		return st
	}
	st.Mean = stat.Mean(ok, nil)
	st.CILow, st.CIHigh = st.Mean, st.Mean
	if st.N < 2 {
		return st
	}
	st.StdDev = stat.StdDev(ok, nil)
	h := TQuantile975(st.N-1) * stat.StdErr(st.StdDev, float64(st.N))
	st.CILow, st.CIHigh = st.Mean-h, st.Mean+h
	return st
}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of
// freedom: the multiplier of a two-sided 95% confidence interval.
func TQuantile975(df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.975)
}
