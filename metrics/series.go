package metrics

import (
	"slices"

	"github.com/tangle-sim/tangle/sim"
)

// Column names one time series and its unit.
type Column struct {
	Name string
	Unit string
}

// Series is a set of fixed-interval time series sharing one time axis.
// Time[k] is the end of bucket k in seconds; Values[c][k] is column c's
// value over that bucket (NaN when undefined, such as a latency quantile of
// a bucket with no responses).
type Series struct {
	Interval sim.Time
	Columns  []Column
	Time     []float64
	Values   [][]float64
}

func newSeries(interval sim.Time, cols []Column) *Series {
	return &Series{Interval: interval, Columns: cols, Values: make([][]float64, len(cols))}
}

func (s *Series) append(t sim.Time, row []float64) {
	s.Time = append(s.Time, t.Seconds())
	for i, v := range row {
		s.Values[i] = append(s.Values[i], v)
	}
}

// Column returns the values of the named column, or nil.
func (s *Series) Column(name string) []float64 {
	for i, c := range s.Columns {
		if c.Name == name {
			return s.Values[i]
		}
	}
	return nil
}

// DefaultSeriesInterval picks a bucket width for a run of length d: one
// second, widened to a round value so a run has at most about 2,000 buckets.
func DefaultSeriesInterval(d sim.Time) sim.Time {
	steps := []sim.Time{
		sim.Second, 2 * sim.Second, 5 * sim.Second, 10 * sim.Second, 15 * sim.Second, 30 * sim.Second,
		sim.Minute, 2 * sim.Minute, 5 * sim.Minute, 10 * sim.Minute, 15 * sim.Minute, 30 * sim.Minute, sim.Hour,
	}
	for _, s := range steps {
		if d/s <= 2000 {
			return s
		}
	}
	return (d/2000 + sim.Hour - 1) / sim.Hour * sim.Hour
}

// Join returns a series with s's columns followed by o's, which must share
// s's time axis (both from collectors ticking at the same interval).
func (s *Series) Join(o *Series) *Series {
	if len(o.Time) != len(s.Time) {
		panic("metrics: joining series with different time axes")
	}
	return &Series{Interval: s.Interval, Columns: append(slices.Clip(s.Columns), o.Columns...), Time: s.Time, Values: append(slices.Clip(s.Values), o.Values...)}
}
