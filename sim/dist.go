package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Dist is a probability distribution the model draws from: service times,
// link latencies, inter-arrival gaps. Values are in the unit of the quantity
// (seconds for durations). Sample must not allocate: it runs per request.
type Dist interface {
	// Sample draws one value using r.
	Sample(r *rand.Rand) float64
	// Mean is the distribution's expected value (+Inf when it has none).
	Mean() float64
	// String describes the distribution and its parameters.
	String() string
}

// MaxDraw is the longest duration SampleTime returns: 100 years. Longer
// draws (and +Inf or NaN from a distribution pushed past float64) saturate
// here instead of wrapping, so now+draw never overflows Time for runs of up
// to MaxDraw. Scenarios refuse distributions whose tail reaches it (see
// Tail), so a valid scenario's draws are never clamped.
const MaxDraw = 100 * 365 * 24 * Hour

// SampleTime draws a duration in seconds from d and converts it to Time.
// Negative draws (a normal's left tail) are clamped to 0, draws beyond
// MaxDraw (or NaN) saturate at MaxDraw.
func SampleTime(d Dist, r *rand.Rand) Time {
	x := d.Sample(r)
	if x <= 0 {
		return 0
	}
	if !(x < MaxDraw.Seconds()) { // also NaN
		return MaxDraw
	}
	return Seconds(x)
}

// TailProb is the tail probability at which Tail measures a distribution:
// one draw in a billion.
const TailProb = 1e-9

// Tail returns the value a draw exceeds with probability TailProb (the
// 1−1e-9 quantile), in the distribution's unit: what a long run can be
// expected to draw. It is +Inf when the quantile overflows float64, and
// the largest value for Constant, Uniform and Empirical. A distribution of
// another type reports its Mean (Tail has no way to know more).
func Tail(d Dist) float64 {
	const z = 5.997807015 // standard normal quantile of 1−1e-9
	switch x := d.(type) {
	case Constant:
		return x.V
	case Exponential:
		return x.M * -math.Log(TailProb)
	case Uniform:
		return x.Max
	case Normal:
		return x.Mu + z*x.Sigma
	case LogNormal:
		return math.Exp(x.Mu + z*x.Sigma)
	case Pareto:
		return x.Xm * math.Pow(TailProb, -1/x.Alpha)
	case Weibull:
		return x.Lambda * math.Pow(-math.Log(TailProb), 1/x.K)
	case *Empirical:
		return slices.Max(x.values)
	}
	return d.Mean()
}

// Constant always returns V.
type Constant struct{ V float64 }

func (c Constant) Sample(*rand.Rand) float64 { return c.V }
func (c Constant) Mean() float64             { return c.V }
func (c Constant) String() string            { return fmt.Sprintf("constant(%g)", c.V) }

// Exponential has the given mean (rate 1/mean). The draw is
// r.ExpFloat64()·mean, the same ziggurat draw gonum's distuv.Exponential
// makes, without its per-call wrapper.
type Exponential struct{ M float64 }

func (e Exponential) Sample(r *rand.Rand) float64 { return r.ExpFloat64() * e.M }
func (e Exponential) Mean() float64               { return e.M }
func (e Exponential) String() string              { return fmt.Sprintf("exponential(mean=%g)", e.M) }

// Uniform is uniform on [Min, Max).
type Uniform struct{ Min, Max float64 }

func (u Uniform) Sample(r *rand.Rand) float64 { return u.Min + r.Float64()*(u.Max-u.Min) }
func (u Uniform) Mean() float64               { return (u.Min + u.Max) / 2 }
func (u Uniform) String() string              { return fmt.Sprintf("uniform(%g, %g)", u.Min, u.Max) }

// Normal is the normal distribution (gonum distuv.Normal). As a duration its
// negative draws are clamped to 0 by SampleTime.
type Normal struct{ Mu, Sigma float64 }

func (n Normal) Sample(r *rand.Rand) float64 {
	return distuv.Normal{Mu: n.Mu, Sigma: n.Sigma, Src: r}.Rand()
}
func (n Normal) Mean() float64  { return n.Mu }
func (n Normal) String() string { return fmt.Sprintf("normal(mu=%g, sigma=%g)", n.Mu, n.Sigma) }

// LogNormal is exp(N(Mu, Sigma²)) (gonum distuv.LogNormal): median e^Mu,
// mean e^(Mu+Sigma²/2).
type LogNormal struct{ Mu, Sigma float64 }

// LogNormalMeanStdDev returns the lognormal with the given mean and
// standard deviation (both > 0).
func LogNormalMeanStdDev(mean, sd float64) LogNormal {
	s2 := math.Log1p(sd * sd / (mean * mean))
	return LogNormal{Mu: math.Log(mean) - s2/2, Sigma: math.Sqrt(s2)}
}

func (l LogNormal) Sample(r *rand.Rand) float64 {
	return distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma, Src: r}.Rand()
}
func (l LogNormal) Mean() float64 { return distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma}.Mean() }
func (l LogNormal) String() string {
	return fmt.Sprintf("lognormal(mu=%g, sigma=%g)", l.Mu, l.Sigma)
}

// Pareto is the Pareto (type I) distribution with scale Xm and shape Alpha
// (gonum distuv.Pareto): heavy-tailed, mean Alpha·Xm/(Alpha−1) for Alpha > 1.
type Pareto struct{ Xm, Alpha float64 }

func (p Pareto) Sample(r *rand.Rand) float64 {
	return distuv.Pareto{Xm: p.Xm, Alpha: p.Alpha, Src: r}.Rand()
}
func (p Pareto) Mean() float64  { return distuv.Pareto{Xm: p.Xm, Alpha: p.Alpha}.Mean() }
func (p Pareto) String() string { return fmt.Sprintf("pareto(xm=%g, alpha=%g)", p.Xm, p.Alpha) }

// Weibull has shape K and scale Lambda (gonum distuv.Weibull).
type Weibull struct{ K, Lambda float64 }

func (w Weibull) Sample(r *rand.Rand) float64 {
	return distuv.Weibull{K: w.K, Lambda: w.Lambda, Src: r}.Rand()
}
func (w Weibull) Mean() float64 { return distuv.Weibull{K: w.K, Lambda: w.Lambda}.Mean() }
func (w Weibull) String() string {
	return fmt.Sprintf("weibull(k=%g, lambda=%g)", w.K, w.Lambda)
}

// Empirical draws one of Values, with probability proportional to its
// weight (all equal when no weights are given): a distribution read off
// measurements. Build it with NewEmpirical.
type Empirical struct {
	values []float64
	cum    []float64 // cumulative weights, normalised so the last is 1
	mean   float64
}

// NewEmpirical builds an empirical distribution. weights may be nil (equal
// weights) or have one non-negative entry per value with a positive sum.
func NewEmpirical(values, weights []float64) (*Empirical, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("empirical distribution needs at least one value")
	}
	if weights != nil && len(weights) != len(values) {
		return nil, fmt.Errorf("empirical distribution has %d values but %d weights", len(values), len(weights))
	}
	e := &Empirical{values: append([]float64(nil), values...), cum: make([]float64, len(values))}
	total := 0.0
	for i := range values {
		w := 1.0
		if weights != nil {
			w = weights[i]
			if w < 0 || math.IsNaN(w) {
				return nil, fmt.Errorf("empirical weight %g is negative", w)
			}
		}
		total += w
		e.cum[i] = total
		e.mean += w * values[i]
	}
	if total <= 0 {
		return nil, fmt.Errorf("empirical weights sum to zero")
	}
	for i := range e.cum {
		e.cum[i] /= total
	}
	e.cum[len(e.cum)-1] = 1
	e.mean /= total
	return e, nil
}

func (e *Empirical) Sample(r *rand.Rand) float64 {
	// The first cumulative weight strictly above u: zero-weight values share
	// their predecessor's cumulative weight and so are never chosen. u < 1
	// and the last entry is exactly 1, so the search always succeeds.
	u := r.Float64()
	return e.values[sort.Search(len(e.cum), func(i int) bool { return e.cum[i] > u })]
}
func (e *Empirical) Mean() float64 { return e.mean }
func (e *Empirical) String() string {
	return fmt.Sprintf("empirical(%d values, mean=%g)", len(e.values), e.mean)
}
