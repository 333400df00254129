package metrics

import (
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// recoveryDefs measure metastability: whether, and how fast, a run returns
// to its pre-fault behaviour once the last fault is over.
var recoveryDefs = []Def{
	{"recovery_time", "s", Lower, "from the end of the last fault until success rate and p90 latency are back at the pre-fault baseline (within tolerance) for a sustained 30 s; undefined when it never recovers (see non_recovery)", ""},
	{"non_recovery", "ratio", Lower, "1 when the trigger is gone but the run never returns to its pre-fault baseline for a sustained 30 s before it ends (a metastable failure), else 0 (also 0 in a run without faults: nothing to recover from); across replications, the fraction that did not recover", ""},
}

// RecoveryMetrics are the summary keys a RecoveryRecorder reports.
var RecoveryMetrics = []string{"recovery_time", "non_recovery"}

// RecoveryConfig sets how recovery is judged.
type RecoveryConfig struct {
	// Bucket is the width of the buckets compared with the baseline (s of
	// simulated time); requests count in the bucket of their end time.
	Bucket sim.Time
	// Sustain is how long every bucket must stay within tolerance for the
	// run to count as recovered.
	Sustain sim.Time
	// SuccessTolerance is how far (absolute) a bucket's success rate may
	// fall below the baseline's, on top of three binomial standard errors
	// of the bucket's sample.
	SuccessTolerance float64
	// LatencyTolerance is how far (relative) a bucket's p90 latency may
	// rise above the baseline's.
	LatencyTolerance float64
}

// DefaultRecovery is 5 s buckets, 30 s sustained, success rate within 2
// points (plus sampling noise) and p90 latency within 50%.
func DefaultRecovery() RecoveryConfig {
	return RecoveryConfig{Bucket: 5 * sim.Second, Sustain: 30 * sim.Second, SuccessTolerance: 0.02, LatencyTolerance: 0.5}
}

// Validate reports impossible settings.
func (c RecoveryConfig) Validate() error {
	switch {
	case c.Bucket <= 0 || c.Sustain < c.Bucket:
		return fmt.Errorf("metrics: recovery needs a positive bucket no longer than the sustain period, got %v and %v", c.Bucket, c.Sustain)
	case !(c.SuccessTolerance >= 0 && c.SuccessTolerance < 1) || !(c.LatencyTolerance >= 0):
		return fmt.Errorf("metrics: recovery tolerances must be non-negative (success below 1)")
	}
	return nil
}

// RecoveryRecorder is a streaming collector of recovery_time and
// non_recovery. The baseline is every request that ended between the
// warmup and the first fault's start; after the last fault's end the run
// is cut into buckets by request end time, each compared with the
// baseline as it closes. Memory is two latency sketches whatever the run
// length.
type RecoveryRecorder struct {
	cfg               RecoveryConfig
	warmup, horizon   sim.Time
	first, last       sim.Time // start of the first fault, end of the last
	need              int      // buckets in a row that make a recovery
	baseTotal, baseOK uint64
	baseLatency       *ddsketch.DDSketch
	basedone          bool
	baseSR, baseP90   float64
	cur               int64 // index of the open bucket (from last)
	curTotal, curOK   uint64
	curLatency        *ddsketch.DDSketch
	streak            int   // good buckets in a row so far
	recovered         int64 // index of the bucket the recovery began in; -1 before
	undefined         bool  // no baseline or no room after the last fault
}

// NewRecoveryRecorder attaches a recovery recorder to w for a run whose
// faults span [first, last): first is the earliest fault start, last the
// latest fault end (horizon or later for a fault that never ends).
func NewRecoveryRecorder(w *topology.World, warmup, horizon, first, last sim.Time, cfg RecoveryConfig) (*RecoveryRecorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &RecoveryRecorder{
		cfg: cfg, warmup: warmup, horizon: horizon, first: first, last: last,
		need:        int((cfg.Sustain + cfg.Bucket - 1) / cfg.Bucket),
		baseLatency: newSketch(), curLatency: newSketch(), recovered: -1,
	}
	// Too little pre-fault time, or too little time after the last fault
	// to see a sustained recovery: both metrics are undefined.
	r.undefined = first <= warmup || last+sim.Time(r.need)*cfg.Bucket > horizon
	w.Observe(r)
	return r, nil
}

// RequestEnded implements topology.Observer.
func (r *RecoveryRecorder) RequestEnded(now sim.Time, q *topology.Request) {
	if r.undefined || now > r.horizon {
		return
	}
	ok := q.Outcome == topology.Success
	responded := ok || q.Outcome == topology.Error
	switch {
	case now >= r.warmup && now < r.first:
		r.baseTotal++
		if ok {
			r.baseOK++
		}
		if responded {
			r.baseLatency.Add(q.Latency().Seconds())
		}
	case now >= r.last:
		k := int64((now - r.last) / r.cfg.Bucket)
		r.closeThrough(k)
		r.curTotal++
		if ok {
			r.curOK++
		}
		if responded {
			r.curLatency.Add(q.Latency().Seconds())
		}
	}
}

// closeThrough judges every bucket before k (the open one and any empty
// ones after it) and opens bucket k.
func (r *RecoveryRecorder) closeThrough(k int64) {
	for r.cur < k {
		r.judge()
		r.cur++
		r.curTotal, r.curOK = 0, 0
		r.curLatency.Clear()
	}
}

// judge compares the open bucket with the baseline.
func (r *RecoveryRecorder) judge() {
	if !r.basedone {
		r.basedone = true
		r.baseSR = ratio(r.baseOK, r.baseTotal)
		r.baseP90 = quantile(r.baseLatency, 0.9)
		if math.IsNaN(r.baseSR) || math.IsNaN(r.baseP90) {
			r.undefined = true
		}
	}
	if r.undefined || r.recovered >= 0 {
		return
	}
	good := r.curTotal > 0
	if good {
		n := float64(r.curTotal)
		sr := float64(r.curOK) / n
		noise := 3 * math.Sqrt(max(r.baseSR*(1-r.baseSR), 1/n)/n)
		good = sr >= r.baseSR-r.cfg.SuccessTolerance-noise
		if p90 := quantile(r.curLatency, 0.9); good && !math.IsNaN(p90) {
			good = p90 <= r.baseP90*(1+r.cfg.LatencyTolerance)
		}
	}
	if !good {
		r.streak = 0
		return
	}
	r.streak++
	if r.streak >= r.need {
		r.recovered = r.cur - int64(r.need) + 1
	}
}

// Summarize adds recovery_time and non_recovery to s. Call it after the
// world has drained.
func (r *RecoveryRecorder) Summarize(s Summary) {
	s["recovery_time"], s["non_recovery"] = math.NaN(), math.NaN()
	if r.undefined {
		return
	}
	// Judge every whole bucket before the horizon (a partial last one is
	// left out).
	r.closeThrough(int64((r.horizon - r.last) / r.cfg.Bucket))
	if r.undefined {
		return
	}
	if r.recovered < 0 {
		s["non_recovery"] = 1
		return
	}
	s["non_recovery"] = 0
	s["recovery_time"] = (sim.Time(r.recovered) * r.cfg.Bucket).Seconds()
}
