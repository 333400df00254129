package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// Progressive delivery: rollouts that shift traffic between the stable
// version and the new one (a subset split pushed to the callers' sidecars
// as a routing config, so it reaches them unevenly) and decide from the
// new version's metrics whether to go on, promote or roll back.

// Gates are the metric checks of one analysis: Flagger's builtin
// request-success-rate (min 99%) and request-duration (p99 max 500 ms)
// over the last interval (fluxcd/flagger docs/gitbook/usage/metrics.md).
type Gates struct {
	MinSuccess float64
	MaxP99     sim.Time // 0: no latency gate
}

// window tracks a version's counters between two analyses.
type window struct {
	req, errs uint64
	lat       []uint64
}

// measure returns the success rate and p99 of what v served since the
// window's last reading, and advances the window. ok is false when v
// served nothing (no data).
func (w *window) measure(v state.RolloutView, ver state.Version) (success float64, p99 sim.Time, ok bool) {
	req, errs := v.Served(ver)
	lat := v.Latencies(ver)
	dr, de := req-w.req, errs-w.errs
	var counts [state.LatencyBuckets]uint64
	total := uint64(0)
	for i := range counts {
		prev := uint64(0)
		if w.lat != nil {
			prev = w.lat[i]
		}
		counts[i] = lat[i] - prev
		total += counts[i]
	}
	w.req, w.errs = req, errs
	w.lat = append(w.lat[:0], lat...)
	if dr == 0 {
		return 0, 0, false
	}
	p99 = sim.Never
	cum := uint64(0)
	for i, c := range counts {
		cum += c
		if float64(cum) >= 0.99*float64(total) {
			p99 = state.LatencyBound(i)
			break
		}
	}
	return float64(dr-de) / float64(dr), p99, true
}

func (g Gates) pass(success float64, p99 sim.Time) (bool, string) {
	switch {
	case success < g.MinSuccess:
		return false, fmt.Sprintf("success rate %.2f%% < %.2f%%", 100*success, 100*g.MinSuccess)
	case g.MaxP99 > 0 && p99 > g.MaxP99:
		return false, fmt.Sprintf("p99 %v > %v", p99, g.MaxP99)
	}
	return true, ""
}

// FlaggerConfig configures a Flagger canary analysis.
type FlaggerConfig struct {
	Interval   sim.Time // analysis.interval
	StepWeight float64  // analysis.stepWeight, as a fraction
	MaxWeight  float64  // analysis.maxWeight
	Threshold  int      // analysis.threshold: failed checks before rollback
	Gates      Gates
	Canary     float64 // fraction of the replicas that run the canary (rounded up, at least one)
}

// DefaultFlaggerConfig is Flagger's documented analysis: interval 60 s,
// threshold 1 when unset, request-success-rate ≥ 99 % and request-duration
// p99 ≤ 500 ms (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go,
// docs/gitbook/usage/deployment-strategies.md, metrics.md), with the docs'
// example stepWeight 10 % and maxWeight 50 %.
func DefaultFlaggerConfig() FlaggerConfig {
	return FlaggerConfig{Interval: 60 * sim.Second, StepWeight: 0.1, MaxWeight: 0.5, Threshold: 1,
		Gates: Gates{MinSuccess: 0.99, MaxP99: 500 * sim.Millisecond}, Canary: 0.25}
}

type canaryPhase uint8

const (
	phaseStart     canaryPhase = iota // canary pods starting
	phaseAnalysis                     // shifting traffic, checking every interval
	phasePromoting                    // the primary is being updated to the new version
	phaseDone                         // promoted, or rolled back
	phaseRollback                     // the canary pods return to the stable version
)

// Flagger is Flagger's canary analysis (fluxcd/flagger
// pkg/controller/scheduler.go, advanceCanary and runCanary, as documented
// in deployment-strategies.md): the canary pods start with the new
// version while the primary keeps the old one and all the traffic. Once
// they are ready, a tick every Interval: the first starts the analysis
// and sets the canary weight to StepWeight without a check (no traffic
// has reached the canary yet); each later tick first rolls back if the
// failed checks have reached Threshold (weight to 0, canary pods back to
// the stable version), else checks the canary's request success rate
// and p99 over the last interval — a failed check (or no data)
// increments the failed-check counter, a passed one advances the weight
// by StepWeight, or at MaxWeight promotes (the primary is rolled to the
// new version, then the split is removed). Promotion therefore starts
// Interval·(MaxWeight/StepWeight + 1) after the canary is ready, and a
// canary failing every check is rolled back Interval·(Threshold + 2)
// after it.
type Flagger struct {
	cfg     FlaggerConfig
	started sim.Time
	phase   canaryPhase
	weight  float64
	failed  int
	win     window
	next    sim.Time
	armed   sim.Time
	promote *Deployment
	Log     []string // the analysis' events, for tests and the audit
}

// NewFlagger returns a Flagger canary rollout.
func NewFlagger(cfg FlaggerConfig) *Flagger { return &Flagger{cfg: cfg, started: -1} }

// startSplit is the traffic split at the start of a rollout: nothing to
// the new version, or, for a rollback, everything to the stable version
// it returns to.
func startSplit(v state.RolloutView) state.RolloutAction {
	if v.RollingBack() {
		return state.RolloutAction{Kind: state.RollWeight, Weight: 1}
	}
	return state.RolloutAction{Kind: state.RollWeight, Weight: 0}
}

// canaries is how many slots run the canary.
func canaries(n int, frac float64) int {
	return min(n, max(1, int(math.Ceil(frac*float64(n)-1e-9))))
}

// Step implements state.Rollout.
func (f *Flagger) Step(now sim.Time, v state.RolloutView, ev state.RolloutEvent, out []state.RolloutAction) []state.RolloutAction {
	desired := v.Desired()
	n := v.Replicas()
	if f.started != v.Started() {
		f.started, f.failed, f.weight, f.armed = v.Started(), 0, 0, 0
		f.phase = phaseStart
		if v.RollingBack() {
			f.phase = phaseRollback
		}
		f.win = window{}
		f.promote = NewDeployment(DeploymentConfig{MaxSurge: 0.25, MaxUnavailable: 0, MaxSurgePods: -1, MaxUnavailablePods: -1, ProgressDeadline: sim.Never / 2})
		out = append(out, startSplit(v))
	}
	switch f.phase {
	case phaseStart:
		k := canaries(n, f.cfg.Canary)
		ready := 0
		for i := 0; i < k; i++ {
			switch {
			case v.Version(i) == desired:
				ready++
			case v.Phase(i) == state.SlotStable:
				out = append(out, state.RolloutAction{Kind: state.RollSurge, Slot: i})
			}
		}
		if ready < k {
			return out
		}
		f.phase = phaseAnalysis
		f.win.measure(v, desired) // start the window now
		f.next = now + f.cfg.Interval
		f.log(now, "canary ready: starting analysis")
	case phaseAnalysis:
		if now >= f.next {
			f.next = now + f.cfg.Interval
			out = f.analyse(now, v, desired, out)
		}
	case phasePromoting, phaseRollback:
		out = f.promote.Step(now, v, ev, out)
		done := true
		for i := 0; i < n; i++ {
			if v.Version(i) != desired || v.Phase(i) != state.SlotStable {
				done = false
			}
		}
		if done {
			f.phase = phaseDone
			out = append(out, state.RolloutAction{Kind: state.RollWeight, Weight: -1})
			f.log(now, "done: traffic split removed")
		}
		return out
	}
	if f.phase == phaseAnalysis && f.next != f.armed {
		f.armed = f.next
		out = append(out, state.RolloutAction{Kind: state.RollSetTimer, After: max(f.next-now, 0)})
	}
	return out
}

func (f *Flagger) analyse(now sim.Time, v state.RolloutView, desired state.Version, out []state.RolloutAction) []state.RolloutAction {
	if f.failed >= f.cfg.Threshold { // checked at the start of the tick after the threshold was reached
		f.phase = phaseRollback
		f.log(now, fmt.Sprintf("rolling back: failed checks threshold reached %d", f.failed))
		return append(out, state.RolloutAction{Kind: state.RollWeight, Weight: 0}, state.RolloutAction{Kind: state.RollBack})
	}
	success, p99, ok := f.win.measure(v, desired)
	if f.weight == 0 {
		f.weight = f.cfg.StepWeight
		f.log(now, fmt.Sprintf("advance canary weight %.0f%%", 100*f.weight))
		return append(out, state.RolloutAction{Kind: state.RollWeight, Weight: f.weight})
	}
	pass, why := f.cfg.Gates.pass(success, p99)
	if !ok {
		pass, why = false, "no values found for the canary's metrics"
	}
	if !pass {
		f.failed++
		f.log(now, fmt.Sprintf("check failed (%d/%d): %s", f.failed, f.cfg.Threshold, why))
		return out
	}
	if f.weight >= f.cfg.MaxWeight-1e-9 {
		f.phase = phasePromoting
		f.log(now, "promoting: copying the canary spec to the primary")
		return f.promote.Step(now, v, state.RolloutEvent{Kind: state.RollChanged}, out)
	}
	f.weight = math.Min(f.cfg.MaxWeight, f.weight+f.cfg.StepWeight)
	f.log(now, fmt.Sprintf("advance canary weight %.0f%%", 100*f.weight))
	return append(out, state.RolloutAction{Kind: state.RollWeight, Weight: f.weight})
}

func (f *Flagger) log(now sim.Time, msg string) {
	if len(f.Log) < 1000 {
		f.Log = append(f.Log, fmt.Sprintf("%v %s", now, msg))
	}
}

// ArgoStep is one step of an Argo Rollouts canary: setWeight or pause.
type ArgoStep struct {
	SetWeight float64  // ≥ 0: set the canary weight (fraction); < 0 for a pause
	Pause     sim.Time // a pause's duration (0: wait forever, for a manual promotion)
}

// ArgoErrorRetryInterval is how soon Argo Rollouts retries a measurement
// that errored, whatever the metric's interval (argoproj/argo-rollouts
// analysis/analysis.go DefaultErrorRetryInterval).
const ArgoErrorRetryInterval = 10 * sim.Second

// ArgoCanaryConfig configures an Argo Rollouts canary with a background
// analysis.
type ArgoCanaryConfig struct {
	Steps                 []ArgoStep
	Interval              sim.Time // the analysis metric's interval
	FailureLimit          int      // failed measurements tolerated (−1: never fail)
	ConsecutiveErrorLimit int      // consecutive measurement errors tolerated
	Gates                 Gates
}

// DefaultArgoCanaryConfig is Argo Rollouts' documented defaults: failureLimit 0
// (no failed measurement tolerated), consecutiveErrorLimit 4
// (argoproj/argo-rollouts utils/defaults/defaults.go, docs/features/
// analysis.md), with the canary docs' example steps (20 % … 80 %, 1 min
// pauses) and a 1 min success-rate analysis at 99 %.
func DefaultArgoCanaryConfig() ArgoCanaryConfig {
	var steps []ArgoStep
	for _, w := range []float64{0.2, 0.4, 0.6, 0.8} {
		steps = append(steps, ArgoStep{SetWeight: w, Pause: -1}, ArgoStep{SetWeight: -1, Pause: sim.Minute})
	}
	return ArgoCanaryConfig{Steps: steps, Interval: sim.Minute, FailureLimit: 0, ConsecutiveErrorLimit: 4, Gates: Gates{MinSuccess: 0.99}}
}

// ParseArgoSteps reads steps written "20%, pause 1m, 40%, pause, …"
// (a bare pause waits for a manual promotion).
func ParseArgoSteps(s string) ([]ArgoStep, error) {
	var steps []ArgoStep
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case strings.HasPrefix(part, "pause"):
			rest := strings.TrimSpace(strings.TrimPrefix(part, "pause"))
			d := sim.Time(0)
			if rest != "" {
				x, err := time.ParseDuration(rest)
				if err != nil || x < 0 {
					return nil, fmt.Errorf("step %q: a pause takes a duration such as 1m", part)
				}
				d = sim.Time(x)
			}
			steps = append(steps, ArgoStep{SetWeight: -1, Pause: d})
		default:
			w, err := strconv.ParseFloat(strings.TrimSuffix(part, "%"), 64)
			if err != nil || w < 0 || w > 100 {
				return nil, fmt.Errorf("step %q: expected a weight such as 20%% or a pause such as pause 1m", part)
			}
			steps = append(steps, ArgoStep{SetWeight: w / 100, Pause: -1})
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no steps")
	}
	return steps, nil
}

// ArgoCanary is an Argo Rollouts canary with traffic routing (argoproj/
// argo-rollouts docs/features/canary.md, analysis.md): the steps run in
// order — setWeight scales the canary to ⌈weight·replicas⌉ pods and sends
// that share of the traffic to it, pause waits — while a background
// AnalysisRun measures the canary's success rate every Interval. A
// measurement below the gate fails; with no data it errors (the query's
// result is empty) and is retried after ArgoErrorRetryInterval (10 s)
// rather than a full Interval. More than FailureLimit failures, or more than
// ConsecutiveErrorLimit errors in a row, abort the rollout: traffic back
// to the stable version and the canary scaled down. After the last step
// the rollout is promoted: every pod updated, the split removed.
type ArgoCanary struct {
	cfg      ArgoCanaryConfig
	started  sim.Time
	step     int
	stepEnd  sim.Time
	weight   float64
	failed   int
	errors   int
	win      window
	next     sim.Time
	armed    sim.Time
	phase    canaryPhase
	complete *Deployment
	Log      []string
}

// NewArgoCanary returns an Argo Rollouts canary.
func NewArgoCanary(cfg ArgoCanaryConfig) *ArgoCanary { return &ArgoCanary{cfg: cfg, started: -1} }

// Step implements state.Rollout.
func (a *ArgoCanary) Step(now sim.Time, v state.RolloutView, ev state.RolloutEvent, out []state.RolloutAction) []state.RolloutAction {
	desired := v.Desired()
	n := v.Replicas()
	if a.started != v.Started() {
		a.started, a.step, a.weight, a.failed, a.errors, a.armed = v.Started(), 0, 0, 0, 0, 0
		a.stepEnd = -1
		a.phase = phaseAnalysis
		if v.RollingBack() {
			a.phase = phaseRollback
		}
		a.win = window{}
		a.win.measure(v, desired)
		a.next = now + a.cfg.Interval
		a.complete = NewDeployment(DeploymentConfig{MaxSurge: 0.25, MaxUnavailable: 0, MaxSurgePods: -1, MaxUnavailablePods: -1, ProgressDeadline: sim.Never / 2})
		out = append(out, startSplit(v))
	}
	if a.phase == phasePromoting || a.phase == phaseRollback {
		out = a.complete.Step(now, v, ev, out)
		if allAt(v, desired) {
			a.phase = phaseDone
			out = append(out, state.RolloutAction{Kind: state.RollWeight, Weight: -1})
		}
		return out
	}
	if a.phase != phaseAnalysis {
		return out
	}
	// Background analysis.
	if now >= a.next && a.weight > 0 {
		a.next = now + a.cfg.Interval
		success, _, ok := a.win.measure(v, desired)
		switch pass, why := a.cfg.Gates.pass(success, 0); {
		case !ok:
			a.errors++
			a.log(now, fmt.Sprintf("measurement error %d (no data)", a.errors))
			// An errored measurement is retried after 10 s, not a full
			// interval (analysis/analysis.go DefaultErrorRetryInterval;
			// analysis_test.go TestCalculateNextReconcileUponError asserts
			// now + DefaultErrorRetryInterval even with a 5m interval).
			a.next = now + ArgoErrorRetryInterval
		case !pass:
			a.errors = 0
			a.failed++
			a.log(now, fmt.Sprintf("measurement failed (%d): %s", a.failed, why))
		default:
			a.errors = 0
		}
		if (a.cfg.FailureLimit >= 0 && a.failed > a.cfg.FailureLimit) || a.errors > a.cfg.ConsecutiveErrorLimit {
			a.phase = phaseRollback
			a.log(now, "analysis failed: aborting, traffic back to stable")
			return append(out, state.RolloutAction{Kind: state.RollWeight, Weight: 0}, state.RolloutAction{Kind: state.RollBack})
		}
	} else if now >= a.next {
		a.win.measure(v, desired)
		a.next = now + a.cfg.Interval
	}
	// Steps.
	for a.step < len(a.cfg.Steps) {
		st := a.cfg.Steps[a.step]
		if st.SetWeight >= 0 {
			k := 0
			if st.SetWeight > 0 {
				k = canaries(n, st.SetWeight)
			}
			ready := 0
			for i := 0; i < k; i++ {
				switch {
				case v.Version(i) == desired:
					ready++
				case v.Phase(i) == state.SlotStable:
					out = append(out, state.RolloutAction{Kind: state.RollSurge, Slot: i})
				}
			}
			if ready < k {
				break // wait for the canary pods
			}
			a.weight = st.SetWeight
			a.log(now, fmt.Sprintf("setWeight %.0f%%", 100*a.weight))
			out = append(out, state.RolloutAction{Kind: state.RollWeight, Weight: a.weight})
			a.step++
			continue
		}
		if a.stepEnd < 0 {
			if st.Pause == 0 {
				break // indefinite pause: a manual promotion never comes in a simulation
			}
			a.stepEnd = now + st.Pause
		}
		if now < a.stepEnd {
			break
		}
		a.stepEnd = -1
		a.step++
	}
	if a.step >= len(a.cfg.Steps) {
		a.phase = phasePromoting
		a.log(now, "all steps done: promoting")
		return a.complete.Step(now, v, state.RolloutEvent{Kind: state.RollChanged}, out)
	}
	wake := a.next
	if a.stepEnd > 0 {
		wake = min(wake, a.stepEnd)
	}
	if wake != a.armed {
		a.armed = wake
		out = append(out, state.RolloutAction{Kind: state.RollSetTimer, After: max(wake-now, 0)})
	}
	return out
}

func (a *ArgoCanary) log(now sim.Time, msg string) {
	if len(a.Log) < 1000 {
		a.Log = append(a.Log, fmt.Sprintf("%v %s", now, msg))
	}
}

func allAt(v state.RolloutView, desired state.Version) bool {
	for i := 0; i < v.Replicas(); i++ {
		if v.Version(i) != desired || v.Phase(i) != state.SlotStable {
			return false
		}
	}
	return true
}

// BlueGreenConfig configures an Argo Rollouts blue/green rollout.
type BlueGreenConfig struct {
	AutoPromotion  sim.Time // autoPromotionSeconds after the green pods are ready (0: at once)
	ScaleDownDelay sim.Time // scaleDownDelaySeconds: the blue pods stay this long after the switch
	Interval       sim.Time // post-promotion analysis interval
	Gates          Gates
}

// DefaultBlueGreenConfig is Argo Rollouts' blue/green default:
// autoPromotionEnabled with no delay, scaleDownDelaySeconds 30
// (argoproj/argo-rollouts docs/features/bluegreen.md, utils/defaults),
// with a post-promotion success-rate analysis every 10 s at 99 %.
func DefaultBlueGreenConfig() BlueGreenConfig {
	return BlueGreenConfig{ScaleDownDelay: 30 * sim.Second, Interval: 10 * sim.Second, Gates: Gates{MinSuccess: 0.99}}
}

// BlueGreen is an Argo Rollouts blue/green rollout (docs/features/
// bluegreen.md): a full set of green pods starts beside the blue ones,
// which keep all the traffic; once every green pod is ready (plus
// AutoPromotion) the active service switches to green at once, the blue
// pods staying for ScaleDownDelay; a post-promotion analysis during that
// window that fails switches back to blue instantly (and makes the old
// version desired again).
type BlueGreen struct {
	cfg       BlueGreenConfig
	started   sim.Time
	readyAt   sim.Time
	switched  sim.Time
	win       window
	next      sim.Time
	armed     sim.Time
	done      bool
	reverting bool
	Log       []string
}

// NewBlueGreen returns a blue/green rollout.
func NewBlueGreen(cfg BlueGreenConfig) *BlueGreen { return &BlueGreen{cfg: cfg, started: -1} }

// Step implements state.Rollout.
func (b *BlueGreen) Step(now sim.Time, v state.RolloutView, ev state.RolloutEvent, out []state.RolloutAction) []state.RolloutAction {
	desired := v.Desired()
	n := v.Replicas()
	if b.started != v.Started() {
		b.started, b.readyAt, b.switched, b.done, b.armed = v.Started(), -1, -1, false, 0
		if v.RollingBack() {
			b.done = true // the switch back was instant (RollRevert)
		}
	}
	if b.done {
		if !allAt(v, desired) { // a rollback after the blue pods were gone: roll back normally
			for i := 0; i < n; i++ {
				if v.Phase(i) == state.SlotStable && v.Version(i) != desired {
					out = append(out, state.RolloutAction{Kind: state.RollSurge, Slot: i})
				}
			}
		}
		return out
	}
	if b.switched < 0 {
		ready := 0
		for i := 0; i < n; i++ {
			switch {
			case v.Phase(i) == state.SlotReady || v.Version(i) == desired:
				ready++
			case v.Phase(i) == state.SlotStable:
				out = append(out, state.RolloutAction{Kind: state.RollSurge, Slot: i, Hold: true})
			}
		}
		if ready < n {
			return out
		}
		if b.readyAt < 0 {
			b.readyAt = now
			b.log(now, "green pods ready")
		}
		if now < b.readyAt+b.cfg.AutoPromotion {
			return b.wake(now, b.readyAt+b.cfg.AutoPromotion, out)
		}
		b.switched = now
		b.win = window{}
		b.win.measure(v, desired)
		b.next = now + b.cfg.Interval
		b.log(now, "promoted: active service switched to green")
		out = append(out, state.RolloutAction{Kind: state.RollSwitch, Slot: -1, After: b.cfg.ScaleDownDelay})
		return b.wake(now, b.next, out)
	}
	// Post-promotion analysis while the blue pods are on standby.
	if now >= b.next && now <= b.switched+b.cfg.ScaleDownDelay {
		b.next = now + b.cfg.Interval
		if success, _, ok := b.win.measure(v, desired); ok {
			if pass, why := b.cfg.Gates.pass(success, 0); !pass {
				b.done = true
				b.log(now, "post-promotion analysis failed ("+why+"): switching back to blue")
				return append(out, state.RolloutAction{Kind: state.RollBack}, state.RolloutAction{Kind: state.RollRevert, Slot: -1})
			}
		}
	}
	if now > b.switched+b.cfg.ScaleDownDelay {
		b.done = true
		b.log(now, "blue pods scaled down")
		return out
	}
	return b.wake(now, min(b.next, b.switched+b.cfg.ScaleDownDelay+1), out)
}

func (b *BlueGreen) wake(now, at sim.Time, out []state.RolloutAction) []state.RolloutAction {
	if at != b.armed {
		b.armed = at
		out = append(out, state.RolloutAction{Kind: state.RollSetTimer, After: max(at-now, 0)})
	}
	return out
}

func (b *BlueGreen) log(now sim.Time, msg string) {
	if len(b.Log) < 1000 {
		b.Log = append(b.Log, fmt.Sprintf("%v %s", now, msg))
	}
}

const (
	srcFlagger = "fluxcd/flagger docs/gitbook/usage/deployment-strategies.md, metrics.md; pkg/apis/flagger/v1beta1/canary.go"
	srcArgoRo  = "argoproj/argo-rollouts docs/features/canary.md, analysis.md, bluegreen.md; utils/defaults/defaults.go"
)

func gateParams(p50099 bool) sim.ParamSet {
	ps := sim.ParamSet{{Name: "min_success", Kind: sim.Ratio, Default: 0.99, Description: "request success rate the new version must keep over each interval", Source: "Flagger builtin request-success-rate (99%)"}}
	if p50099 {
		ps = append(ps, dur("max_p99", 500*sim.Millisecond, 0, "p99 request duration the new version must stay under (0: no latency gate)", "Flagger builtin request-duration (500 ms)"))
	}
	return ps
}

// canaryRolloutDefs are the progressive-delivery rollouts.
var canaryRolloutDefs = []*ControlDef{
	{
		Name:        "flagger",
		Description: "Flagger canary: canary pods take the new version, the weight steps up every interval while success rate and p99 pass, promotion at max weight, rollback after threshold failed checks",
		Source:      srcFlagger,
		Params: append(sim.ParamSet{
			dur("interval", 60*sim.Second, 1, "analysis.interval", srcFlagger+" (60 s)"),
			{Name: "step_weight", Kind: sim.Ratio, Default: 0.1, Description: "analysis.stepWeight", Source: "Flagger docs example (10)"},
			{Name: "max_weight", Kind: sim.Ratio, Default: 0.5, Description: "analysis.maxWeight", Source: "Flagger docs example (50)"},
			{Name: "threshold", Kind: sim.Int, Default: int64(1), Min: sim.Bound(1), Description: "analysis.threshold: failed checks before rollback", Source: srcFlagger + " (1 when unset)"},
			{Name: "canary", Kind: sim.Ratio, Default: 0.25, Description: "fraction of the replicas that run the canary (rounded up; Flagger runs a separate canary Deployment, here the canary pods take slots of the service)"},
		}, gateParams(true)...),
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := FlaggerConfig{Interval: p.Duration("interval"), StepWeight: p.Float("step_weight"), MaxWeight: p.Float("max_weight"),
				Threshold: int(p.Int("threshold")), Gates: Gates{MinSuccess: p.Float("min_success"), MaxP99: p.Duration("max_p99")}, Canary: p.Float("canary")}
			if cfg.StepWeight <= 0 || cfg.MaxWeight < cfg.StepWeight {
				return fmt.Errorf("need 0 < step_weight ≤ max_weight")
			}
			c.Rollout = func(*rand.Rand) state.Rollout { return NewFlagger(cfg) }
			return nil
		},
	},
	{
		Name:        "argo-canary",
		Description: "Argo Rollouts canary with traffic routing: setWeight/pause steps, a background analysis failing on the first failed measurement (failureLimit 0) or after 4 consecutive errors, then full promotion",
		Source:      srcArgoRo,
		Params: append(sim.ParamSet{
			{Name: "steps", Kind: sim.String, Default: "20%, pause 1m, 40%, pause 1m, 60%, pause 1m, 80%, pause 1m", Description: "canary steps: weights (setWeight) and pauses (pause DURATION)",
				Valid: func(s string) error { _, err := ParseArgoSteps(s); return err }},
			dur("interval", 60*sim.Second, 1, "the analysis metric's interval", ""),
			{Name: "failure_limit", Kind: sim.Int, Default: int64(0), Min: sim.Bound(-1), Description: "failed measurements tolerated (−1: never fail)", Source: srcArgoRo + " (0)"},
			{Name: "consecutive_error_limit", Kind: sim.Int, Default: int64(4), Min: sim.Bound(0), Description: "consecutive measurement errors (no data) tolerated", Source: srcArgoRo + " (4)"},
		}, gateParams(false)...),
		Build: func(p sim.Params, c *ControlPlan) error {
			steps, err := ParseArgoSteps(p.String("steps"))
			if err != nil {
				return err
			}
			cfg := ArgoCanaryConfig{Steps: steps, Interval: p.Duration("interval"), FailureLimit: int(p.Int("failure_limit")),
				ConsecutiveErrorLimit: int(p.Int("consecutive_error_limit")), Gates: Gates{MinSuccess: p.Float("min_success")}}
			c.Rollout = func(*rand.Rand) state.Rollout { return NewArgoCanary(cfg) }
			return nil
		},
	},
	{
		Name:        "blue-green",
		Description: "Argo Rollouts blue/green: green pods start beside blue, the active service switches at once when they are ready, blue stays 30 s for an instant switch back if the post-promotion analysis fails",
		Source:      srcArgoRo,
		Params: append(sim.ParamSet{
			dur("auto_promotion", 0, 0, "autoPromotionSeconds: wait after the green pods are ready before switching", srcArgoRo),
			dur("scale_down_delay", 30*sim.Second, 0, "scaleDownDelaySeconds: how long the blue pods stay after the switch", srcArgoRo+" (30)"),
			dur("interval", 10*sim.Second, 0.001, "post-promotion analysis interval", ""),
		}, gateParams(false)...),
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := BlueGreenConfig{AutoPromotion: p.Duration("auto_promotion"), ScaleDownDelay: p.Duration("scale_down_delay"),
				Interval: p.Duration("interval"), Gates: Gates{MinSuccess: p.Float("min_success")}}
			c.Rollout = func(*rand.Rand) state.Rollout { return NewBlueGreen(cfg) }
			return nil
		},
	},
}
