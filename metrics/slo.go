package metrics

import (
	"fmt"
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// SLI is what an SLO counts as a good event.
type SLI uint8

const (
	// Availability: a request is good when it succeeds
	// (route_success_rate).
	Availability SLI = iota
	// LatencySLI: a request is good when it succeeds within the SLO's
	// threshold; errors, timeouts and drops are bad too.
	LatencySLI
)

// SLIs maps the names scenario files use to SLIs.
var SLIs = map[string]SLI{"route_success_rate": Availability, "latency": LatencySLI}

// BurnAlert is one row of a multiwindow, multi-burn-rate alert: it fires
// while the burn rate over both the long and the short window is at least
// Rate (SRE Workbook ch. 5, "Alerting on SLOs", table 5-8).
type BurnAlert struct {
	Severity    string   // page or ticket
	Long, Short sim.Time // Short 0: a single-window alert
	Rate        float64
	For         sim.Time // the condition must hold this long before it fires (Prometheus for:)
}

// WorkbookAlerts returns the SRE Workbook's recommended alerts for an SLO
// period: page when 2% of the budget is spent in 1 h (5 m short window)
// or 5% in 6 h (30 m), ticket when 10% is spent in 3 d (6 h). The burn
// rate that spends X of the budget in W is X·T/W (sloth
// internal/alert/window.go), which for T = 30 d gives the table's 14.4, 6
// and 1.
func WorkbookAlerts(period sim.Time) []BurnAlert {
	rows := []struct {
		sev         string
		long, short sim.Time
		spent       float64
	}{
		{"page", sim.Hour, 5 * sim.Minute, 0.02},
		{"page", 6 * sim.Hour, 30 * sim.Minute, 0.05},
		{"ticket", 3 * 24 * sim.Hour, 6 * sim.Hour, 0.10},
	}
	out := make([]BurnAlert, len(rows))
	for i, r := range rows {
		// Rounded to 1e-9 so 30 d gives exactly 14.4, 6 and 1.
		rate := math.Round(r.spent*float64(period)/float64(r.long)*1e9) / 1e9
		out[i] = BurnAlert{Severity: r.sev, Long: r.long, Short: r.short, Rate: rate}
	}
	return out
}

// SLOSpec declares one service level objective.
type SLOSpec struct {
	Name      string
	SLI       SLI
	Objective float64  // target fraction of good events, in (0, 1)
	Threshold sim.Time // for LatencySLI
	Period    sim.Time // the SLO window T the error budget is defined over
	// Evaluation is how often the alerts are evaluated (Prometheus rule
	// evaluation interval).
	Evaluation sim.Time
	Alerts     []BurnAlert
	// CleanHistory assumes the time before the measurement window was all
	// good at the same request rate, so a window longer than the run so
	// far counts the missing part as good events (the textbook detection
	// times hold from the start); without it only the events measured so
	// far count.
	CleanHistory bool
}

// Validate reports impossible settings.
func (s SLOSpec) Validate() error {
	switch {
	case !(s.Objective > 0 && s.Objective < 1):
		return fmt.Errorf("slo %s: objective must be in (0, 1), got %g", s.Name, s.Objective)
	case s.Period <= 0:
		return fmt.Errorf("slo %s: window must be positive", s.Name)
	case s.Evaluation <= 0:
		return fmt.Errorf("slo %s: evaluation interval must be positive", s.Name)
	case s.SLI == LatencySLI && s.Threshold <= 0:
		return fmt.Errorf("slo %s: a latency SLI needs a positive threshold", s.Name)
	}
	return nil
}

// SLOMetrics are the per-SLO metrics an SLOTracker reports, as
// "NAME:SLO" (slo_compliance:availability).
var SLOMetrics = []string{"slo_compliance", "error_budget_burn_rate", "error_budget_remaining", "slo_alert_firings", "slo_detection_time"}

// sloDefs are the SLO family of the catalogue: each is reported once per
// SLO of a scenario, qualified by its name.
var sloDefs = []Def{
	{"slo_compliance", "ratio", Higher, "good events / valid events over the measurement window (the SLI); the SLO holds when it meets the objective", "SRE Workbook ch. 2"},
	{"error_budget_burn_rate", "factor", Lower, "(1 − SLI) / (1 − objective) over the measurement window: how fast the error budget is spent; 1 spends it exactly in the SLO window", "E-M10; SRE Workbook ch. 5"},
	{"error_budget_remaining", "ratio", Higher, "1 − burn rate × run length / SLO window: the budget left if the SLO window started with the run (negative: overspent)", "SRE Workbook ch. 5"},
	{"slo_alert_firings", "count", Lower, "multiwindow multi-burn-rate alert firings (SRE Workbook table 5-8: 1h/5m at 14.4, 6h/30m at 6, 3d/6h at 1), all severities", "SRE Workbook ch. 5"},
	{"slo_detection_time", "s", Lower, "from the first fault's start (or the first bad event, without faults) to the first burn-rate alert of any severity (the earliest detection the check lines show); undefined when none fired", "SRE Workbook ch. 5"},
}

// binsPerWindow is the resolution of a sliding window: the window is kept
// as this many bins (plus the current one), and the oldest bin counts in
// proportion to its overlap. 720 bins put a 1 h window's bins 5 s apart.
const binsPerWindow = 720

// sliding counts good and bad events over the last W of simulated time in
// a ring of fixed bins; memory is fixed whatever the run length.
type sliding struct {
	width    sim.Time   // bin width: W / binsPerWindow
	bins     [][2]int64 // bad, total; binsPerWindow+1 entries
	cur      int64      // absolute index of the current bin
	bad, all int64      // sums over the ring
}

func newSliding(w sim.Time) *sliding {
	return &sliding{width: max(1, w/binsPerWindow), bins: make([][2]int64, binsPerWindow+1)}
}

func (s *sliding) advance(t sim.Time) {
	k := int64(t / s.width)
	if k-s.cur > int64(len(s.bins)) {
		clear(s.bins)
		s.bad, s.all, s.cur = 0, 0, k
		return
	}
	for s.cur < k {
		s.cur++
		b := &s.bins[s.cur%int64(len(s.bins))]
		s.bad -= b[0]
		s.all -= b[1]
		*b = [2]int64{}
	}
}

func (s *sliding) add(t sim.Time, bad bool) {
	s.advance(t)
	b := &s.bins[s.cur%int64(len(s.bins))]
	b[1]++
	s.all++
	if bad {
		b[0]++
		s.bad++
	}
}

// errorRatio is bad/total over (t−W, t], counting the oldest bin in
// proportion to its overlap with the window; 0 without events.
func (s *sliding) errorRatio(t sim.Time) float64 {
	s.advance(t)
	old := s.bins[(s.cur+1)%int64(len(s.bins))]
	frac := float64((sim.Time(s.cur+1))*s.width-t) / float64(s.width)
	all := float64(s.all) - (1-frac)*float64(old[1])
	bad := float64(s.bad) - (1-frac)*float64(old[0])
	if all <= 0 {
		return 0
	}
	return max(0, bad/all)
}

// AlertRecord is one burn-rate alert of an SLO in one run: when it fired
// and how long after the reference it was first seen firing.
type AlertRecord struct {
	BurnAlert
	Fired []sim.Time // the start of each firing
	// Detection is the time in seconds from the reference to the first
	// evaluation at or after it that found the alert firing (0 when a
	// firing that began earlier was still on); NaN when none did.
	Detection float64
}

// SLOReport is one SLO's alerts in one run, and the time detection is
// measured from.
type SLOReport struct {
	Name   string
	Alerts []AlertRecord
	// Reference is the first fault's start, or the first bad event when
	// the run has no faults; sim.Never when neither happened.
	Reference sim.Time
}

type sloState struct {
	spec      SLOSpec
	long      []*sliding // per alert row
	short     []*sliding
	firing    []bool
	since     []sim.Time // when each row's condition last became true; −1 while false
	fired     [][]sim.Time
	cleared   [][]sim.Time
	good, all uint64
	bucketBad uint64
	bucketAll uint64
	firstBad  sim.Time
	kEval     sim.Kind
}

// SLOTracker is a streaming collector of SLOs: it counts good and bad
// events as requests end (as a service's counters would), evaluates the
// burn-rate alerts every evaluation interval of simulated time, and keeps
// a burn-rate time series per SLO ("burn_rate:NAME", the bucket's error
// ratio over the error budget). Memory per SLO is fixed: the sliding
// windows' bins and one value per series bucket.
type SLOTracker struct {
	w               *topology.World
	warmup, horizon sim.Time
	faultStart      sim.Time // sim.Never without faults
	slos            []*sloState
	series          *Series
	interval        sim.Time
	kTick           sim.Kind
}

// NewSLOTracker attaches a tracker of slos to w. Events count from warmup
// to horizon; faultStart is the first fault's start (sim.Never if none);
// seriesInterval is the width of the burn-rate series buckets (0: none),
// matching the Recorder's.
func NewSLOTracker(w *topology.World, slos []SLOSpec, warmup, horizon, faultStart, seriesInterval sim.Time) (*SLOTracker, error) {
	t := &SLOTracker{w: w, warmup: warmup, horizon: horizon, faultStart: faultStart, interval: seriesInterval}
	var cols []Column
	for _, spec := range slos {
		if err := spec.Validate(); err != nil {
			return nil, err
		}
		st := &sloState{spec: spec, firstBad: sim.Never}
		for range spec.Alerts {
			st.firing = append(st.firing, false)
			st.since = append(st.since, -1)
			st.fired = append(st.fired, nil)
			st.cleared = append(st.cleared, nil)
		}
		for _, a := range spec.Alerts {
			st.long = append(st.long, newSliding(a.Long))
			short := a.Short
			if short == 0 {
				short = a.Long // single-window: the short window is unused
			}
			st.short = append(st.short, newSliding(short))
		}
		t.slos = append(t.slos, st)
		cols = append(cols, Column{Name: "burn_rate:" + spec.Name, Unit: "factor"})
		// Each SLO is evaluated on its own grid.
		i := len(t.slos) - 1
		st.kEval = w.Eng.Handle("slo.evaluate/"+spec.Name, func(uint64) { t.evaluate(i) })
		w.Eng.At(warmup+spec.Evaluation, topology.ClassObserve, st.kEval, 0)
	}
	if seriesInterval > 0 && len(slos) > 0 {
		t.series = newSeries(seriesInterval, cols)
		t.kTick = w.Eng.Handle("slo.series", t.tick)
		w.Eng.At(min(seriesInterval, horizon), topology.ClassObserve, t.kTick, 0)
	}
	w.Observe(t)
	return t, nil
}

// RequestEnded implements topology.Observer. Cost: O(alert rows).
func (t *SLOTracker) RequestEnded(now sim.Time, q *topology.Request) {
	if now > t.horizon {
		return
	}
	for _, s := range t.slos {
		good := q.Outcome == topology.Success && (s.spec.SLI != LatencySLI || q.Latency() <= s.spec.Threshold)
		s.bucketAll++
		if !good {
			s.bucketBad++
		}
		if now < t.warmup {
			continue
		}
		s.all++
		if good {
			s.good++
		} else if s.firstBad == sim.Never {
			s.firstBad = now
		}
		for i := range s.long {
			s.long[i].add(now, !good)
			s.short[i].add(now, !good)
		}
	}
}

// evaluate checks every alert row of SLO i, as a rule evaluation would.
func (t *SLOTracker) evaluate(i int) {
	s := t.slos[i]
	now := t.w.Eng.Now()
	budget := 1 - s.spec.Objective
	ratio := func(w *sliding, width sim.Time) float64 {
		r := w.errorRatio(now)
		// Clean history: the part of the window before the measurement
		// began counts as good events at the rate measured so far.
		if elapsed := now - t.warmup; s.spec.CleanHistory && elapsed < width && elapsed > 0 {
			r *= float64(elapsed) / float64(width)
		}
		return r
	}
	for r, a := range s.spec.Alerts {
		cond := ratio(s.long[r], a.Long)/budget >= a.Rate && (a.Short == 0 || ratio(s.short[r], a.Short)/budget >= a.Rate)
		switch {
		case !cond:
			s.since[r] = -1
		case s.since[r] < 0:
			s.since[r] = now
		}
		on := cond && now-s.since[r] >= a.For
		if on && !s.firing[r] {
			s.fired[r] = append(s.fired[r], now)
		}
		if !on && s.firing[r] {
			s.cleared[r] = append(s.cleared[r], now)
		}
		s.firing[r] = on
	}
	if next := now + s.spec.Evaluation; next <= t.horizon {
		t.w.Eng.At(next, topology.ClassObserve, s.kEval, 0)
	}
}

// tick closes a burn-rate series bucket.
func (t *SLOTracker) tick(uint64) {
	now := t.w.Eng.Now()
	row := make([]float64, len(t.slos))
	for i, s := range t.slos {
		row[i] = 0
		if s.bucketAll > 0 {
			row[i] = float64(s.bucketBad) / float64(s.bucketAll) / (1 - s.spec.Objective)
		}
		s.bucketAll, s.bucketBad = 0, 0
	}
	t.series.append(now, row)
	if now < t.horizon {
		t.w.Eng.At(min(now+t.interval, t.horizon), topology.ClassObserve, t.kTick, 0)
	}
}

// Series returns the burn-rate series (nil without SLOs or series).
func (t *SLOTracker) Series() *Series { return t.series }

// Reports returns each SLO's alert firings. Call it after the run.
func (t *SLOTracker) Reports() []SLOReport {
	var out []SLOReport
	for _, s := range t.slos {
		rep := SLOReport{Name: s.spec.Name, Reference: t.faultStart}
		if rep.Reference == sim.Never {
			rep.Reference = s.firstBad
		}
		for r, a := range s.spec.Alerts {
			rep.Alerts = append(rep.Alerts, AlertRecord{BurnAlert: a, Fired: append([]sim.Time(nil), s.fired[r]...), Detection: s.detection(r, rep.Reference)})
		}
		out = append(out, rep)
	}
	return out
}

// Summary returns the SLO metrics, "NAME:SLO" for each of SLOMetrics.
func (t *SLOTracker) Summary() Summary {
	out := Summary{}
	window := (t.horizon - t.warmup).Seconds()
	reps := t.Reports()
	for si, s := range t.slos {
		name := s.spec.Name
		budget := 1 - s.spec.Objective
		sli := ratio(s.good, s.all)
		burn := math.NaN()
		if !math.IsNaN(sli) {
			burn = (1 - sli) / budget
		}
		out["slo_compliance:"+name] = sli
		out["error_budget_burn_rate:"+name] = burn
		out["error_budget_remaining:"+name] = 1 - burn*window/s.spec.Period.Seconds()
		firings := 0
		for _, f := range s.fired {
			firings += len(f)
		}
		out["slo_alert_firings:"+name] = float64(firings)
		det := math.NaN()
		for _, a := range reps[si].Alerts {
			if d := a.Detection; !math.IsNaN(d) && (math.IsNaN(det) || d < det) {
				det = d
			}
		}
		out["slo_detection_time:"+name] = det
	}
	return out
}

// detection is the time from ref to the first moment alert row r was
// firing at or after ref: 0 when a firing that began earlier was still on
// at ref, NaN when it never fired after ref.
func (s *sloState) detection(r int, ref sim.Time) float64 {
	if ref == sim.Never {
		return math.NaN()
	}
	for k, f := range s.fired[r] {
		if f >= ref {
			return (f - ref).Seconds()
		}
		if k >= len(s.cleared[r]) || s.cleared[r][k] > ref {
			return 0 // began before ref and was still firing at it
		}
	}
	return math.NaN()
}
