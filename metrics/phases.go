package metrics

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/DataDog/sketches-go/ddsketch"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Phase is a part of a run relative to its fault windows, as Chaos
// Toolkit evaluates a steady-state hypothesis before the method, during it
// and after it (chaostoolkit-lib hypothesis strategies).
type Phase uint8

const (
	Before Phase = iota // from the warmup's end to the first fault's start
	During              // inside any fault window
	After               // from the last fault window's end to the horizon
)

// Phases lists the phases in time order.
var Phases = []Phase{Before, During, After}

func (p Phase) String() string { return [...]string{"before", "during", "after"}[p] }

// ParsePhase maps a phase's name to the Phase.
func ParsePhase(s string) (Phase, error) {
	for _, p := range Phases {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown phase %q (want before, during or after)", s)
}

// Interval is the span [Start, End) of simulated time.
type Interval struct{ Start, End sim.Time }

// PhaseMetrics are the metrics a PhaseRecorder reports for each phase, as
// "NAME:PHASE" (latency_p99:during). Each has the definition of NAME in
// the catalogue, restricted to requests generated in the phase.
var PhaseMetrics = []string{
	"request_rate", "throughput", "route_success_rate", "requests_total",
	"latency_mean", "latency_p50", "latency_p90", "latency_p99", "latency_p999",
}

// ImpactMetrics compare a phase with the pre-fault baseline, so they are
// reported for the during and after phases only ("latency_impact:during").
var ImpactMetrics = []string{"latency_impact", "route_success_delta"}

// PhaseRecorder is a streaming collector that splits the measurement
// window at the fault windows: each request counts in the phase of its
// generation time. Requests generated between two fault windows belong to
// no phase. Memory is three latency sketches whatever the run length.
type PhaseRecorder struct {
	warmup, horizon sim.Time
	windows         []Interval // merged, sorted, clipped to [warmup, horizon)
	first, last     sim.Time   // start of the first window, end of the last
	length          [3]float64 // seconds of each phase
	stats           [3]phaseStats
}

type phaseStats struct {
	total, success uint64
	latSum         float64
	latN           uint64
	latency        *ddsketch.DDSketch
}

// NewPhaseRecorder attaches a phase recorder to w. windows are the fault
// windows as scheduled (End = horizon for a fault that never ends); there
// must be at least one.
func NewPhaseRecorder(w *topology.World, warmup, horizon sim.Time, windows []Interval) (*PhaseRecorder, error) {
	if len(windows) == 0 {
		return nil, fmt.Errorf("metrics: phases need at least one fault window")
	}
	p := &PhaseRecorder{warmup: warmup, horizon: horizon}
	ws := slices.Clone(windows)
	slices.SortFunc(ws, func(a, b Interval) int { return int(a.Start - b.Start) })
	for _, iv := range ws {
		iv.End = min(iv.End, horizon)
		if iv.End <= iv.Start {
			continue
		}
		if n := len(p.windows); n > 0 && iv.Start <= p.windows[n-1].End {
			p.windows[n-1].End = max(p.windows[n-1].End, iv.End)
			continue
		}
		p.windows = append(p.windows, iv)
	}
	if len(p.windows) == 0 {
		return nil, fmt.Errorf("metrics: every fault window is empty")
	}
	p.first, p.last = p.windows[0].Start, p.windows[len(p.windows)-1].End
	p.length[Before] = max(0, p.first-warmup).Seconds()
	for _, iv := range p.windows {
		p.length[During] += max(0, iv.End-max(iv.Start, warmup)).Seconds()
	}
	p.length[After] = max(0, horizon-max(p.last, warmup)).Seconds()
	for i := range p.stats {
		p.stats[i].latency = newSketch()
	}
	w.Observe(p)
	return p, nil
}

// phaseOf returns the phase of generation time t, or false between
// windows. Cost: O(number of fault windows).
func (p *PhaseRecorder) phaseOf(t sim.Time) (Phase, bool) {
	switch {
	case t < p.first:
		return Before, true
	case t >= p.last:
		return After, true
	}
	for _, iv := range p.windows {
		if t >= iv.Start && t < iv.End {
			return During, true
		}
	}
	return 0, false
}

// RequestEnded implements topology.Observer.
func (p *PhaseRecorder) RequestEnded(now sim.Time, q *topology.Request) {
	if q.Arrived < p.warmup || q.Arrived >= p.horizon {
		return
	}
	ph, ok := p.phaseOf(q.Arrived)
	if !ok {
		return
	}
	s := &p.stats[ph]
	s.total++
	if q.Outcome == topology.Success {
		s.success++
	}
	if q.Outcome == topology.Success || q.Outcome == topology.Error {
		lat := q.Latency().Seconds()
		s.latency.Add(lat)
		s.latSum += lat
		s.latN++
	}
}

// Summary returns the phase metrics as "NAME:PHASE"; a metric of an empty
// phase is NaN.
func (p *PhaseRecorder) Summary() Summary {
	out := Summary{}
	for _, ph := range Phases {
		s := &p.stats[ph]
		put := func(name string, v float64) { out[name+":"+ph.String()] = v }
		rate := func(n uint64) float64 {
			if p.length[ph] <= 0 {
				return math.NaN()
			}
			return float64(n) / p.length[ph]
		}
		put("request_rate", rate(s.total))
		put("throughput", rate(s.success))
		put("route_success_rate", ratio(s.success, s.total))
		put("requests_total", float64(s.total))
		mean := math.NaN()
		if s.latN > 0 {
			mean = s.latSum / float64(s.latN)
		}
		put("latency_mean", mean)
		put("latency_p50", quantile(s.latency, 0.5))
		put("latency_p90", quantile(s.latency, 0.9))
		put("latency_p99", quantile(s.latency, 0.99))
		put("latency_p999", quantile(s.latency, 0.999))
	}
	// The routing document's impact metrics compare each phase with the
	// pre-fault baseline (E-M13, E-M14).
	base := &p.stats[Before]
	baseP95, baseSR := quantile(base.latency, 0.95), ratio(base.success, base.total)
	for _, ph := range []Phase{During, After} {
		s := &p.stats[ph]
		out["latency_impact:"+ph.String()] = quantile(s.latency, 0.95)/baseP95 - 1
		out["route_success_delta:"+ph.String()] = ratio(s.success, s.total) - baseSR
	}
	return out
}

// Describe returns the definition of a metric name as it appears in a
// run's summary: a catalogue name, or a catalogue name qualified by a
// phase or an SLO ("latency_p99:during", "slo_compliance:availability").
// The returned Def keeps the full name and says what the qualifier means.
func Describe(name string) (Def, bool) {
	if d, ok := Lookup(name); ok {
		return d, true
	}
	base, qual, ok := strings.Cut(name, ":")
	if !ok {
		return Def{}, false
	}
	d, found := Lookup(base)
	if !found {
		return Def{}, false
	}
	if ph, err := ParsePhase(qual); err == nil {
		d.Description += " — " + ph.String() + " the fault windows"
	} else if slices.Contains(TenantMetrics, base) {
		d.Description += " — for client " + qual
	} else if slices.Contains(ServiceMetrics, base) || slices.Contains(ReplicaMetrics, base) {
		d.Description += " — for service " + qual
	} else if slices.Contains(CallMetrics, base) {
		d.Description += " — for the calls " + qual
	} else if slices.Contains(EdgeMetrics, base) {
		d.Description += " — for edge " + qual
	} else if slices.Contains(OperationMetrics, base) {
		d.Description += " — for operation " + qual
	} else {
		d.Description += " — for SLO " + qual
	}
	d.Name = name
	return d, true
}
