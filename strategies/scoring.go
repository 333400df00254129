package strategies

import (
	"fmt"
	"math"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// Choice is how a score becomes weights.
type Choice uint8

const (
	// ChoiceLogit: multinomial logit, w_i ∝ exp(−β·score_i), the choice
	// model of Pender, Rand and Wesson's delayed-information queues
	// (routing.md §5.3).
	ChoiceLogit Choice = iota
	// ChoiceBest: all traffic to the lowest score (shortest path, as
	// ARPANET's D-SPF did).
	ChoiceBest
	// ChoiceInverse: w_i ∝ 1/(score_i + 0.01).
	ChoiceInverse
)

// Fallback is what an engine does when its signals are stale or unusable.
type Fallback uint8

const (
	FallbackLKG    Fallback = iota // keep the weights in effect (last known good)
	FallbackStatic                 // the safe static route
	FallbackNone                   // decide on the stale signals anyway
)

// ScoringConfig configures the multi-signal scoring engine. Each target's
// score is Σ_k Coef[k]·x_k/scale_k over the signals it reads, lower is
// better; every mitigation is off at its zero value and composes with the
// others.
type ScoringConfig struct {
	Coef  [routectl.NumSignals]float64 // weight of each signal in the score
	Scale [routectl.NumSignals]float64 // normalisation: x/Scale (Normalize false)
	// Normalize divides each signal by its mean over the targets instead of
	// Scale (1 = average), so unlike units combine without tuning.
	Normalize bool
	Choice    Choice
	Beta      float64 // logit sharpness

	// Hysteresis (threshold + minimum dwell): keep the weights in effect
	// unless the new ones differ by at least Hysteresis in total
	// variation, and never change more often than every Dwell.
	Hysteresis float64
	Dwell      sim.Time
	// Freshness: a reading older than TTL is stale; with any used reading
	// stale the engine falls back (keep the last known good weights, or the
	// static route). 0 disables.
	TTL      sim.Time
	Fallback Fallback
	Static   string // the static route: all traffic to this target; "" spreads it evenly
	// Sanity checks rejecting poisoned readings (a rejected target is
	// scored on its last accepted reading): Bounds rejects physically
	// impossible values; MaxChange rejects a signal that moved by more
	// than this factor since its last accepted value; Agreement rejects a
	// reading whose error rate differs from the client-side error rate by
	// more than this (absolute) or whose latency is below a third of the
	// client-side round trip (cross-source agreement).
	Bounds    bool
	MaxChange float64
	Agreement float64
	// Rebaseline accepts a jump MaxChange rejected once it has persisted
	// for this many consecutive readings that agree with each other (within
	// MaxChange): a rate-of-change check delays a real change, it must not
	// lock it out. 0: never (every later reading is compared with the last
	// accepted one, so a real brownout is ignored for good).
	Rebaseline int
	// Rate-limited actuation: no target's weight moves by more than
	// MaxStep per decision.
	MaxStep float64
	// Damping: each signal is an EWMA of the accepted readings with this
	// factor (1: none).
	Damping float64
	// SLO constraint: targets whose latency or error rate exceed these get
	// no traffic while any target meets them (0: no constraint), so the
	// score (cost, say) is optimised only among targets within the SLO.
	SLOLatency sim.Time
	SLOErrors  float64
	// RTT scores latency as the decider experiences it: the target's
	// latency plus the network round trip to it (2 × Reading.Distance).
	RTT bool
}

// Validate reports an impossible setting.
func (c ScoringConfig) Validate() error {
	switch {
	case !(c.Beta >= 0):
		return fmt.Errorf("beta must not be negative")
	case !(c.Damping > 0 && c.Damping <= 1):
		return fmt.Errorf("damping must be in (0, 1]")
	case c.MaxStep < 0 || c.Hysteresis < 0 || c.MaxChange < 0 || c.Agreement < 0:
		return fmt.Errorf("max_step, hysteresis, max_change and agreement must not be negative")
	}
	for k := range c.Coef {
		if c.Coef[k] < 0 || (!c.Normalize && c.Coef[k] > 0 && !(c.Scale[k] > 0)) {
			return fmt.Errorf("%s: the coefficient must be ≥ 0 and its scale > 0", routectl.SignalKind(k))
		}
	}
	return nil
}

// Scoring is the multi-signal scoring engine: a weighted, normalised
// combination of the signals a target reports (latency, error rate, load,
// utilisation, health, cost, replication lag, threat), turned into weights
// by a choice model, with the seed document's mitigations as options
// (F1: hysteresis; F2: freshness TTL with fallback; F6: sanity checks;
// rate-limited actuation; damping; F8: budget caps live in the policy
// layer). It is the engine of every control pattern.
type Scoring struct {
	cfg ScoringConfig

	last       [][routectl.NumSignals]float64 // per target: last accepted (damped) signals
	known      []bool
	pending    [][routectl.NumSignals]float64 // per target: the jumped-to reading max_change is holding back
	pendingN   []int                          // how many consecutive readings agreed with it
	good       []float64                      // weights of the last decision on clean inputs (nothing rejected or stale)
	lastChange sim.Time
	changed    bool
	score      []float64
	work       [][routectl.NumSignals]float64
	forecast   forecaster // nil: reactive
}

// forecaster replaces the signals an engine scores by forecasts.
type forecaster interface {
	forecast(o *routectl.Observation, x [][routectl.NumSignals]float64, known []bool) (note string, ok bool)
}

// NewScoring returns a scoring engine.
func NewScoring(cfg ScoringConfig) *Scoring { return &Scoring{cfg: cfg} }

func (e *Scoring) uses() uint32 {
	var m uint32
	for k, c := range e.cfg.Coef {
		if c > 0 {
			m |= 1 << k
		}
	}
	return m
}

// Decide implements routectl.Engine.
func (e *Scoring) Decide(o *routectl.Observation, d *routectl.Decision) {
	cfg := &e.cfg
	n := len(o.Targets)
	if len(e.last) != n {
		e.last = make([][routectl.NumSignals]float64, n)
		e.known = make([]bool, n)
		e.score = make([]float64, n)
		e.pending = make([][routectl.NumSignals]float64, n)
		e.pendingN = make([]int, n)
		e.good = nil
	}
	d.Uses = e.uses()
	stale, invalid := 0, 0
	var why []string
	for i := range o.Targets {
		r := &o.Targets[i]
		if !r.Valid {
			invalid++
			continue
		}
		if cfg.TTL > 0 && r.Age(o.Now) > cfg.TTL {
			stale++
		}
		sig := r.Signals
		if reason, agree := e.insane(r, i); reason != "" {
			d.Rejected++
			why = append(why, r.Name+": "+reason)
			if !agree {
				continue
			}
			// Cross-source agreement: a target is never scored better than
			// its clients see it. The reading's latency and error rate are
			// replaced by the clients' (their round trip less the network),
			// so a lie that lures traffic is neutralised, and an honest
			// signal that lags a brownout (an EWMA, errors that exclude the
			// requests a full queue refused) is brought up to date rather
			// than dropped.
			seenErr := r.Seen.Errors / r.Seen.Requests
			sig[routectl.SigErrors] = max(sig[routectl.SigErrors], seenErr)
			sig[routectl.SigLatency] = max(sig[routectl.SigLatency], r.Seen.Latency-2*r.Distance)
		}
		for k := range sig {
			x := sig[k]
			if e.known[i] && cfg.Damping < 1 {
				x = e.last[i][k] + cfg.Damping*(x-e.last[i][k])
			}
			e.last[i][k] = x
		}
		e.known[i] = true
	}
	if len(why) > 0 {
		d.Note = "rejected " + strings.Join(why, ", ")
	}
	if stale > 0 && cfg.Fallback != FallbackNone {
		if cfg.Fallback == FallbackLKG && (e.good != nil || o.Current != nil) {
			// Last known good is the last decision made on clean inputs,
			// not whatever is in effect: weights decided while readings
			// were being rejected (poisoned) are not good.
			d.Fallback = "last-known-good"
			d.Note = strings.TrimSpace(fmt.Sprintf("%d stale reading(s) older than %v; %s", stale, cfg.TTL, d.Note))
			if e.good == nil || (o.Current != nil && maxAbsDiff(o.Current, e.good) < 1e-12) {
				d.Hold = true
				return
			}
			copy(d.Weights, e.good)
			return
		}
		e.static(o, d)
		d.Fallback = "static"
		d.Note = strings.TrimSpace(fmt.Sprintf("%d stale reading(s) older than %v; %s", stale, cfg.TTL, d.Note))
		return
	}
	if invalid == n {
		e.static(o, d)
		d.Fallback = "static"
		d.Note = "no signals yet"
		return
	}
	x := e.last
	if e.forecast != nil {
		e.work = append(e.work[:0], e.last...)
		x = e.work
		note, ok := e.forecast.forecast(o, x, e.known)
		if note != "" {
			d.Note = strings.TrimSpace(note + "; " + d.Note)
		}
		if !ok {
			d.Fallback = "reactive"
		}
	}
	e.choose(o, x, d)
	e.limit(o, d)
	if d.Rejected == 0 && stale == 0 && invalid == 0 && d.Fallback == "" {
		if d.Hold && o.Current != nil {
			e.good = append(e.good[:0], o.Current...) // held on clean inputs: what is in effect is good
		} else if !d.Hold {
			e.good = append(e.good[:0], d.Weights...)
		}
	}
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range min(len(a), len(b)) {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// insane returns why reading r of target i fails the sanity checks, or
// "", and whether it is the cross-source agreement check that failed.
func (e *Scoring) insane(r *routectl.Reading, i int) (string, bool) {
	cfg := &e.cfg
	s := &r.Signals
	if cfg.Bounds {
		switch {
		case s[routectl.SigErrors] < 0 || s[routectl.SigErrors] > 1:
			return fmt.Sprintf("error rate %.3g out of [0, 1]", s[routectl.SigErrors]), false
		case s[routectl.SigUtil] < 0 || s[routectl.SigUtil] > 1.0001:
			return fmt.Sprintf("utilisation %.3g out of [0, 1]", s[routectl.SigUtil]), false
		case s[routectl.SigThreat] < 0 || s[routectl.SigThreat] > 1:
			return fmt.Sprintf("threat %.3g out of [0, 1]", s[routectl.SigThreat]), false
		case s[routectl.SigLatency] < 0 || s[routectl.SigLoad] < 0 || s[routectl.SigCost] < 0 || s[routectl.SigLag] < 0:
			return "negative reading", false
		case s[routectl.SigLoad] > 0 && s[routectl.SigUtil] == 0 && r.Seen.Requests > 0 && s[routectl.SigLatency] == 0:
			return "load without utilisation or latency", false
		}
	}
	if cfg.MaxChange > 0 && e.known[i] {
		if k, jumped := e.jump(&e.last[i], s); jumped {
			// Re-baseline: the same new level, reading after reading, is a
			// change, not a spike (the agreement check below still vets it).
			if _, apart := e.jump(&e.pending[i], s); e.pendingN[i] == 0 || apart {
				e.pending[i], e.pendingN[i] = *s, 1
			} else {
				e.pendingN[i]++
			}
			if cfg.Rebaseline <= 0 || e.pendingN[i] < cfg.Rebaseline {
				return fmt.Sprintf("%s jumped from %.3g to %.3g", routectl.SignalKind(k), e.last[i][k], s[k]), false
			}
		}
		e.pendingN[i] = 0
	}
	if cfg.Agreement > 0 && r.Seen.Requests >= 20 {
		seenErr := r.Seen.Errors / r.Seen.Requests
		if math.Abs(seenErr-s[routectl.SigErrors]) > cfg.Agreement {
			return fmt.Sprintf("error rate %.3g disagrees with the clients' %.3g", s[routectl.SigErrors], seenErr), true
		}
		// A reading of 0 s (an exporter stuck at zero) disagrees with any
		// round trip the clients measured, as any reading under a third of
		// it does.
		if r.Seen.Latency > 0 && s[routectl.SigLatency] < r.Seen.Latency/3 {
			return fmt.Sprintf("latency %.3gs disagrees with the clients' round trip %.3gs", s[routectl.SigLatency], r.Seen.Latency), true
		}
	}
	return "", false
}

// jump reports the first scored signal of s that moved from ref by more
// than the MaxChange factor (relative to a floor of the signal's scale,
// so values near zero do not count as infinite jumps).
func (e *Scoring) jump(ref, s *[routectl.NumSignals]float64) (int, bool) {
	cfg := &e.cfg
	for k, c := range cfg.Coef {
		if c == 0 {
			continue
		}
		floor := cfg.Scale[k]
		if !(floor > 0) {
			floor = 1e-3
		}
		prev, cur := ref[k]+floor, s[k]+floor
		if cur > prev*(1+cfg.MaxChange) || cur < prev/(1+cfg.MaxChange) {
			return k, true
		}
	}
	return 0, false
}

// static writes the safe static route.
func (e *Scoring) static(o *routectl.Observation, d *routectl.Decision) {
	staticRoute(o, d, e.cfg.Static)
}

func staticRoute(o *routectl.Observation, d *routectl.Decision, target string) {
	for i := range o.Targets {
		if target == "" || o.Targets[i].Name == target || o.Targets[i].Region == target {
			d.Weights[i] = 1
		}
	}
}

// choose scores every target and applies the choice model.
func (e *Scoring) choose(o *routectl.Observation, x [][routectl.NumSignals]float64, d *routectl.Decision) {
	cfg := &e.cfg
	n := len(o.Targets)
	var mean [routectl.NumSignals]float64
	if cfg.Normalize {
		k := 0
		for i := 0; i < n; i++ {
			if e.known[i] {
				for s := range mean {
					mean[s] += x[i][s]
				}
				k++
			}
		}
		for s := range mean {
			mean[s] /= float64(max(k, 1))
		}
	}
	latency := func(i int) float64 {
		if cfg.RTT {
			return x[i][routectl.SigLatency] + 2*o.Targets[i].Distance
		}
		return x[i][routectl.SigLatency]
	}
	meets := func(i int) bool {
		return (cfg.SLOLatency <= 0 || latency(i) <= cfg.SLOLatency.Seconds()) &&
			(cfg.SLOErrors <= 0 || x[i][routectl.SigErrors] <= cfg.SLOErrors)
	}
	constrained := false
	for i := 0; i < n; i++ {
		if e.known[i] && x[i][routectl.SigUnhealthy] < 1 && meets(i) {
			constrained = true // some target meets the SLO: the others are out
		}
	}
	best, bestScore := -1, math.Inf(1)
	for i := 0; i < n; i++ {
		if !e.known[i] || x[i][routectl.SigUnhealthy] >= 1 || (constrained && !meets(i)) {
			e.score[i] = math.Inf(1) // no signals, every replica down, or outside the SLO
			continue
		}
		sc := 0.0
		for k, c := range cfg.Coef {
			if c == 0 {
				continue
			}
			v := x[i][k]
			if k == int(routectl.SigLatency) {
				v = latency(i)
			}
			switch {
			case cfg.Normalize && mean[k] > 0:
				v /= mean[k]
			case cfg.Normalize:
				v = 0
			default:
				v /= cfg.Scale[k]
			}
			sc += c * v
		}
		e.score[i] = sc
		if sc < bestScore || (sc == bestScore && o.Current != nil && o.Current[i] > o.Current[best]) {
			best, bestScore = i, sc
		}
	}
	if best < 0 {
		e.static(o, d)
		d.Fallback = "static"
		d.Note = strings.TrimSpace("no healthy target; " + d.Note)
		return
	}
	for i := 0; i < n; i++ {
		if math.IsInf(e.score[i], 1) {
			continue
		}
		switch cfg.Choice {
		case ChoiceBest:
			if i == best {
				d.Weights[i] = 1
			}
		case ChoiceInverse:
			d.Weights[i] = 1 / (e.score[i] + 0.01)
		default:
			d.Weights[i] = math.Exp(-cfg.Beta * (e.score[i] - bestScore))
		}
	}
	topology.Weights(d.Weights).Normalize()
}

// limit applies hysteresis, dwell and the maximum step against the
// weights in effect.
func (e *Scoring) limit(o *routectl.Observation, d *routectl.Decision) {
	cfg := &e.cfg
	cur := o.Current
	if cur == nil || len(cur) != len(d.Weights) {
		e.lastChange, e.changed = o.Now, true
		return
	}
	if cfg.Hysteresis > 0 && topology.Weights(cur).TV(d.Weights) < cfg.Hysteresis {
		d.Hold = true
		d.Note = strings.TrimSpace(fmt.Sprintf("change %.3f within hysteresis %.3f; %s", topology.Weights(cur).TV(d.Weights), cfg.Hysteresis, d.Note))
		return
	}
	if cfg.Dwell > 0 && e.changed && o.Now-e.lastChange < cfg.Dwell {
		d.Hold = true
		d.Note = strings.TrimSpace(fmt.Sprintf("dwell: last change %v ago; %s", o.Now-e.lastChange, d.Note))
		return
	}
	if cfg.MaxStep > 0 {
		m := 0.0
		for i := range cur {
			m = math.Max(m, math.Abs(d.Weights[i]-cur[i]))
		}
		if m > cfg.MaxStep {
			f := cfg.MaxStep / m
			for i := range cur {
				d.Weights[i] = cur[i] + (d.Weights[i]-cur[i])*f
			}
			d.Note = strings.TrimSpace(fmt.Sprintf("step limited to %.3f; %s", cfg.MaxStep, d.Note))
		}
	}
	if topology.Weights(cur).TV(d.Weights) > 1e-9 {
		e.lastChange, e.changed = o.Now, true
	}
}

// Holt is Holt's linear trend method (double exponential smoothing) per
// target and signal, on an irregular time axis: with dt the time since
// the previous observation,
//
//	level  ← α·x + (1−α)·(level + trend·dt)
//	trend  ← β·(level − previous level)/dt + (1−β)·trend
//	forecast(h) = level + trend·h
//
// (Holt 1957; Hyndman & Athanasopoulos, Forecasting: Principles and
// Practice, §8.2). Its forecasts are multiplied by the observation's Skew
// (model drift). With DriftCheck > 0 it tracks the mean absolute
// percentage error of its one-step forecasts (EWMA over 10 evaluations)
// and, above DriftCheck, declares the model drifted: the engine decides on
// the current signals instead.
type Holt struct {
	Alpha, Beta float64
	Horizon     sim.Time
	DriftCheck  float64

	level, trend [][routectl.NumSignals]float64
	predicted    [][routectl.NumSignals]float64
	at           sim.Time
	started      bool
	mape         float64
}

func (h *Holt) forecast(o *routectl.Observation, x [][routectl.NumSignals]float64, known []bool) (string, bool) {
	n := len(x)
	if len(h.level) != n {
		h.level = make([][routectl.NumSignals]float64, n)
		h.trend = make([][routectl.NumSignals]float64, n)
		h.predicted = make([][routectl.NumSignals]float64, n)
		h.started = false
	}
	dt := (o.Now - h.at).Seconds()
	errSum, errN := 0.0, 0
	for i := 0; i < n; i++ {
		if !known[i] {
			continue
		}
		for k := range x[i] {
			v := x[i][k]
			if !h.started || dt <= 0 {
				h.level[i][k], h.trend[i][k] = v, 0
				continue
			}
			if p := h.predicted[i][k]; math.Abs(v) > 1e-9 {
				errSum += math.Abs(p-v) / math.Abs(v)
				errN++
			}
			prev := h.level[i][k]
			h.level[i][k] = h.Alpha*v + (1-h.Alpha)*(prev+h.trend[i][k]*dt)
			h.trend[i][k] = h.Beta*(h.level[i][k]-prev)/dt + (1-h.Beta)*h.trend[i][k]
		}
	}
	if h.started && errN > 0 {
		h.mape += 0.1 * (errSum/float64(errN) - h.mape)
	}
	h.started, h.at = true, o.Now
	skew := o.Skew
	if skew == 0 {
		skew = 1
	}
	horizon := h.Horizon.Seconds()
	// One-step predictions for the next evaluation's error check are made
	// by the (possibly skewed) model too.
	for i := 0; i < n; i++ {
		for k := range x[i] {
			h.predicted[i][k] = math.Max(0, skew*h.level[i][k])
		}
	}
	if h.DriftCheck > 0 && h.mape > h.DriftCheck {
		return fmt.Sprintf("model drift: forecast error %.0f%% above %.0f%%", 100*h.mape, 100*h.DriftCheck), false
	}
	for i := 0; i < n; i++ {
		if !known[i] {
			continue
		}
		for k := range x[i] {
			x[i][k] = math.Max(0, skew*(h.level[i][k]+h.trend[i][k]*horizon))
		}
	}
	return "", true
}
