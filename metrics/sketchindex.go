package metrics

import (
	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// A response's latency goes into several sketches with one index mapping
// (the run's, the series bucket's, effective latency's), and the mapping's
// logarithm was most of each insertion. An indexedSketch is a sketch whose
// positive-value store is kept at hand, so a value's bin index, computed
// once by a latencyIndex shared between them, can be added to each
// directly; the bins and counts are those Add would produce.

// indexedSketch is a latency sketch, its positive-value store (its
// concrete type: no interface call per value) and its mapping's
// indexable range.
type indexedSketch struct {
	*ddsketch.DDSketch
	pos      *store.CollapsingLowestDenseStore
	min, max float64 // the mapping's MinIndexableValue and MaxIndexableValue
}

func newIndexedSketch() indexedSketch {
	m, err := mapping.NewLogarithmicMapping(RelativeAccuracy)
	if err != nil {
		panic(err) // constant, valid argument
	}
	pos := store.NewCollapsingLowestDenseStore(sketchBins)
	// As ddsketch.LogCollapsingLowestDenseDDSketch builds it (newSketch).
	return indexedSketch{ddsketch.NewDDSketch(m, pos, store.NewCollapsingLowestDenseStore(sketchBins)), pos, m.MinIndexableValue(), m.MaxIndexableValue()}
}

// add inserts v, whose bin index x.of computes (once for every sketch
// given the same value in a row). Values outside the positive indexable
// range (zero, negative, too large, NaN) go through Add.
func (s indexedSketch) add(v float64, x *latencyIndex) {
	if v > s.min && v <= s.max {
		s.pos.AddWithCount(x.of(v), 1)
		return
	}
	_ = s.Add(v)
}

// latencyIndex memoises the bin index of the last value it was asked
// about under the sketches' mapping.
type latencyIndex struct {
	m     *mapping.LogarithmicMapping
	v     float64
	i     int
	valid bool
}

func newLatencyIndex() *latencyIndex {
	m, err := mapping.NewLogarithmicMapping(RelativeAccuracy)
	if err != nil {
		panic(err) // constant, valid argument
	}
	return &latencyIndex{m: m}
}

func (x *latencyIndex) of(v float64) int {
	if !x.valid || v != x.v {
		x.v, x.i, x.valid = v, x.m.Index(v), true
	}
	return x.i
}
