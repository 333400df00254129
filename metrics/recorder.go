package metrics

import (
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// RelativeAccuracy is the latency sketches' guarantee: every reported
// quantile is within 1% (relative) of the true value of that quantile.
const RelativeAccuracy = 0.01

// sketchBins bounds a sketch's memory: 2048 bins at 1% accuracy span a
// dynamic range of about 1.02^2048 ≈ 10^17, collapsing the lowest bins
// beyond that (DDSketch, Masson, Rim & Lee, VLDB 2019).
const sketchBins = 2048

// Config sets what a Recorder measures.
type Config struct {
	Warmup  sim.Time // requests generated before Warmup are not summarised
	Horizon sim.Time // end of the measurement window (the run's duration)
	// SeriesInterval is the width of a time-series bucket; 0 disables series.
	SeriesInterval sim.Time
}

// Validate reports impossible settings.
func (c Config) Validate() error {
	switch {
	case c.Horizon <= 0:
		return fmt.Errorf("metrics: horizon must be positive")
	case c.Warmup < 0 || c.Warmup >= c.Horizon:
		return fmt.Errorf("metrics: warmup %v must be in [0, horizon %v)", c.Warmup, c.Horizon)
	case c.SeriesInterval < 0:
		return fmt.Errorf("metrics: series interval must not be negative")
	}
	return nil
}

// Summary is one run's metric values by canonical name, in SI units. A
// value that is undefined for the run (a latency with no responses) is NaN.
type Summary map[string]float64

// Recorder is the core streaming collector: it observes every request end
// and keeps counters, a latency sketch and the time series. Attach it with
// NewRecorder before the world starts.
type Recorder struct {
	w   *topology.World
	cfg Config

	outcomes   [8]uint64
	causes     [16]uint64
	latency    indexedSketch
	index      *latencyIndex // shared with effective latency
	latSum     float64
	latN       uint64
	latMax     float64
	waitSum    float64
	waited     uint64 // responses that queued before service
	sojournSum float64
	sojournN   uint64
	occupancy  float64 // ∫ requests-in-system dt over the window, request·seconds

	series *Series
	bucket bucketStats
	kTick  sim.Kind
	ext    []Extension
	graph  *graphStats // nil without calls
}

// Extension is a collector that adds to a recorder's output: columns of
// its time series (sampled when the recorder closes a bucket) and values
// of its summary. Attach it with Recorder.Extend.
type Extension interface {
	// Columns are the extension's series columns, in order.
	Columns() []Column
	// Sample appends the values of its columns for the bucket that ends at
	// now and lasted width seconds.
	Sample(now sim.Time, width float64, row []float64) []float64
	// Summarize adds the extension's metrics to s.
	Summarize(s Summary)
}

// Extend attaches x: its columns follow the recorder's own. Call it before
// the world starts.
func (r *Recorder) Extend(x Extension) {
	r.ext = append(r.ext, x)
	if r.series != nil {
		for _, c := range x.Columns() {
			r.series.Columns = append(r.series.Columns, c)
			r.series.Values = append(r.series.Values, nil)
		}
	}
}

type bucketStats struct {
	ended, success uint64
	generated      uint64 // clients' Generated total at the bucket's start
	latency        indexedSketch
}

// NewRecorder attaches a recorder to w.
func NewRecorder(w *topology.World, cfg Config) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Recorder{w: w, cfg: cfg, latency: newIndexedSketch(), index: newLatencyIndex()}
	w.Observe(r)
	if cfg.SeriesInterval > 0 {
		r.series = newSeries(cfg.SeriesInterval, coreColumns)
		r.bucket.latency = newIndexedSketch()
		r.kTick = w.Eng.Handle("metrics.series", r.tick)
		w.Eng.At(min(cfg.SeriesInterval, cfg.Horizon), topology.ClassObserve, r.kTick, 0)
	}
	// Routing metrics are an extension of every recorder.
	rs := newRoutingStats(w, cfg)
	w.Observe(rs)
	r.Extend(rs)
	es := newEffectiveStats(w, cfg, r.index)
	w.Observe(es)
	r.Extend(es)
	if len(w.CallEdges()) > 0 { // per service and per call edge (graph.go)
		gs := newGraphStats(w, cfg, r.index)
		r.graph = gs
		w.Observe(gs)
		w.ObserveHops(gs)
		r.Extend(gs)
	}
	if w.Hedging() { // hedged requests (hedge.go)
		hs := newHedgeStats(cfg)
		w.Observe(hs)
		w.ObserveHops(hs)
		r.Extend(hs)
	}
	if hasOperations(w) { // per operation of a service (operations.go)
		ops := newOpStats(w, cfg, r.index)
		w.Observe(ops)
		w.ObserveHops(ops)
		r.Extend(ops)
	}
	if len(w.EdgeNodes()) > 0 { // per declared edge (edges.go)
		es := newEdgeStats(w, cfg)
		w.Observe(es)
		r.Extend(es)
	}
	return r, nil
}

func newSketch() *ddsketch.DDSketch {
	s, err := ddsketch.LogCollapsingLowestDenseDDSketch(RelativeAccuracy, sketchBins)
	if err != nil {
		panic(err) // constant, valid arguments
	}
	return s
}

// RequestEnded implements topology.Observer.
func (r *Recorder) RequestEnded(now sim.Time, q *topology.Request) {
	responded := q.Outcome == topology.Success || q.Outcome == topology.Error
	lat := q.Latency().Seconds()
	if r.series != nil && now <= r.cfg.Horizon {
		r.bucket.ended++
		if q.Outcome == topology.Success {
			r.bucket.success++
		}
		if responded {
			r.bucket.latency.add(lat, r.index)
		}
	}
	// Time in system inside the window, for the time-average occupancy.
	if lo, hi := max(q.Arrived, r.cfg.Warmup), min(q.Ended, r.cfg.Horizon); hi > lo {
		r.occupancy += (hi - lo).Seconds()
	}
	if q.Arrived < r.cfg.Warmup || q.Arrived >= r.cfg.Horizon {
		return
	}
	r.outcomes[q.Outcome]++
	r.causes[q.Cause]++
	r.sojournSum += lat
	r.sojournN++
	if responded {
		r.latency.add(lat, r.index)
		r.latSum += lat
		r.latN++
		r.latMax = max(r.latMax, lat)
		if q.Waited > 0 {
			r.waited++
			r.waitSum += q.Waited.Seconds()
		}
	}
}

// Summary returns the run's metrics. Call it after the world has drained.
func (r *Recorder) Summary() Summary {
	s := Summary{}
	window := (r.cfg.Horizon - r.cfg.Warmup).Seconds()
	total := uint64(0)
	for _, o := range topology.Outcomes {
		n := r.outcomes[o]
		total += n
		s["requests_"+o.String()] = float64(n)
	}
	for _, c := range topology.Causes {
		s["failures_"+c.String()] = float64(r.causes[c])
	}
	success := r.outcomes[topology.Success]
	s["requests_total"] = float64(total)
	s["request_rate"] = float64(total) / window
	s["throughput"] = float64(success) / window
	s["route_success_rate"] = ratio(success, total)
	s["latency_mean"] = math.NaN()
	s["latency_max"] = math.NaN()
	if r.latN > 0 {
		s["latency_mean"] = r.latSum / float64(r.latN)
		s["latency_max"] = r.latMax
	}
	for name, q := range map[string]float64{"latency_p50": 0.5, "latency_p90": 0.9, "latency_p99": 0.99, "latency_p999": 0.999} {
		s[name] = quantile(r.latency.DDSketch, q)
	}
	s["queue_wait_mean"] = math.NaN()
	if r.latN > 0 {
		s["queue_wait_mean"] = r.waitSum / float64(r.latN)
	}
	s["wait_probability"] = ratio(r.waited, r.latN)
	s["sojourn_mean"] = math.NaN()
	if r.sojournN > 0 {
		s["sojourn_mean"] = r.sojournSum / float64(r.sojournN)
	}
	s["in_flight_mean"] = r.occupancy / window
	for _, x := range r.ext {
		x.Summarize(s)
	}
	return s
}

// Series returns the run's time series (nil when disabled).
func (r *Recorder) Series() *Series { return r.series }

func ratio(a, b uint64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func quantile(s *ddsketch.DDSketch, q float64) float64 {
	if s.IsEmpty() {
		return math.NaN()
	}
	v, err := s.GetValueAtQuantile(q)
	if err != nil {
		return math.NaN()
	}
	return v
}

// coreColumns are the recorder's series, in CSV column order.
var coreColumns = []Column{
	{Name: "request_rate", Unit: "1/s"},
	{Name: "throughput", Unit: "1/s"},
	{Name: "route_success_rate", Unit: "ratio"},
	{Name: "latency_p50", Unit: "s"},
	{Name: "latency_p99", Unit: "s"},
	{Name: "in_flight", Unit: "requests"},
}

// tick closes the current series bucket.
func (r *Recorder) tick(uint64) {
	now := r.w.Eng.Now()
	width := r.cfg.SeriesInterval.Seconds()
	if n := len(r.series.Time); n > 0 {
		width = now.Seconds() - r.series.Time[n-1]
	} else {
		width = now.Seconds()
	}
	gen := uint64(0)
	for _, c := range r.w.Clients {
		gen += c.Generated
	}
	b := &r.bucket
	row := []float64{
		float64(gen-b.generated) / width,
		float64(b.success) / width,
		ratio(b.success, b.ended),
		quantile(b.latency.DDSketch, 0.5),
		quantile(b.latency.DDSketch, 0.99),
		float64(r.w.InFlight()),
	}
	for _, x := range r.ext {
		row = x.Sample(now, width, row)
	}
	r.series.append(now, row)
	b.ended, b.success, b.generated = 0, 0, gen
	b.latency.Clear()
	if next := now + r.cfg.SeriesInterval; now < r.cfg.Horizon {
		r.w.Eng.At(min(next, r.cfg.Horizon), topology.ClassObserve, r.kTick, 0)
	}
}
