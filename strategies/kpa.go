package strategies

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// The Knative Pod Autoscaler, after knative/serving's running code:
//
//   - the decider ticks every 2 s (pkg/autoscaler/scaling/multiscaler.go
//     tickInterval);
//   - the metric is concurrency: the requests at the pods (in the
//     user container and queued in the queue-proxy), summed over the
//     ready pods, averaged over the stable window (60 s) and the panic
//     window (10% of it, 6 s) (pkg/autoscaler/metrics/collector.go
//     StableAndPanicConcurrency), over the part of a window seen so far
//     when the data is younger than it (aggregation/bucketing.go
//     WindowAverage); a bucket here is a tick's average, not a second's;
//   - the target per pod is containerConcurrency × the target utilisation
//     (70%), the pod's concurrency being its slots (queue-proxy enforces
//     containerConcurrency by queueing, as our replicas do), or
//     min(target, containerConcurrency) × utilisation when a target is
//     given (pkg/reconciler/autoscaling/resources/target.go
//     ResolveMetricTarget);
//   - autoscaler.Scale: desired stable/panic counts are ceil(observed /
//     target), kept within [floor(ready / max-scale-down-rate),
//     ceil(max-scale-up-rate × ready)] (ready at least 1); panic starts
//     when the panic count is at least panic-threshold (200%) × ready
//     pods, is extended while it stays so, and ends a stable window after
//     the last time it was; in panic the count is the larger of the two
//     and never decreases; a scale-down delay (default 0) holds the
//     maximum of its window;
//   - the PodAutoscaler reconciler bounds the result by min-scale and
//     max-scale.
//
// Scale to zero, after the PodAutoscaler reconciler's handleScaleToZero
// (pkg/reconciler/autoscaling/kpa/scaler.go): with enable-scale-to-zero
// (default true) and min-scale 0 (the default), a decision of 0 pods
// first keeps 1 pod until the revision has been active for a stable
// window, then marks it inactive (the activator takes over its traffic)
// and keeps the count, and scales to 0 once it has been inactive for
// scale-to-zero-grace-period (30 s); without scale to zero a 0 becomes 1.
// Requests for a revision at zero wait at the activator (topology's
// activator.go), which pokes the decider at once; their count is demand
// the decider sees (the activator reports it as concurrency). The
// reconciler re-enqueues itself for the exact moment a wait ends; here
// the waits end at the next tick (at most 2 s later).
//
// Not modelled: the requests-per-second metric, scale-to-zero-pod-
// retention-period (default 0), activation timeouts, and the collector's
// sampling of at most 16 pods (every ready pod is measured). A new
// autoscaler starts in panic when it finds more than one pod ready
// (newAutoscaler), as here.

// KPAConfig is one Knative revision's autoscaling configuration.
type KPAConfig struct {
	MinReplicas, MaxReplicas int      // MaxReplicas 0: the service's pool
	ScaleToZero              bool     // enable-scale-to-zero (with MinReplicas 0)
	ScaleToZeroGrace         sim.Time // scale-to-zero-grace-period
	Target                   float64  // 0: the pod's concurrency (containerConcurrency)
	Utilization              float64
	StableWindow             sim.Time
	PanicWindowPercent       float64
	PanicThreshold           float64 // a ratio: 2 is 200%
	MaxScaleUpRate           float64
	MaxScaleDownRate         float64
	ScaleDownDelay           sim.Time
	Tick                     sim.Time
}

var kpaParams = sim.ParamSet{
	{Name: "min_replicas", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0), Description: "autoscaling.knative.dev/min-scale: 0 lets the revision scale to zero (with enable_scale_to_zero)", Source: "Knative default 0"},
	{Name: "enable_scale_to_zero", Kind: sim.Bool, Default: true, Description: "enable-scale-to-zero: an idle revision scales to zero pods, and requests then wait at the activator until a pod is ready", Source: "Knative config-autoscaler default true"},
	{Name: "scale_to_zero_grace_period", Kind: sim.Duration, Default: 30 * sim.Second, Min: sim.Bound(6), Description: "scale-to-zero-grace-period: how long an inactive revision keeps its last pod before it scales to zero", Source: "Knative config-autoscaler default 30s (at least 6s)"},
	{Name: "max_replicas", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0), Description: "autoscaling.knative.dev/max-scale; 0: the service's max_replicas"},
	{Name: "target", Kind: sim.Float, Default: 0.0, Min: sim.Bound(0), Description: "autoscaling.knative.dev/target: concurrent requests per pod, capped by the pod's concurrency; 0: the pod's concurrency (containerConcurrency)", Source: "container-concurrency-target-default 100 applies only to pods without a concurrency limit, which replicas here never are"},
	{Name: "target_utilization", Kind: sim.Ratio, Default: 0.7, Description: "container-concurrency-target-percentage: the fraction of the target aimed for", Source: "Knative config-autoscaler default 70"},
	{Name: "stable_window", Kind: sim.Duration, Default: 60 * sim.Second, Min: sim.Bound(6), Description: "stable-window: the window the stable concurrency is averaged over, and how long panic lasts after its last trigger", Source: "Knative default 60s"},
	{Name: "panic_window_percentage", Kind: sim.Float, Default: 10.0, Min: sim.Bound(1), Max: sim.Bound(100), Description: "panic-window-percentage: the panic window as a percentage of the stable window", Source: "Knative default 10.0"},
	{Name: "panic_threshold_percentage", Kind: sim.Float, Default: 200.0, Min: sim.Bound(110), Description: "panic-threshold-percentage: panic when the panic window asks for this percentage of the ready pods", Source: "Knative default 200.0"},
	{Name: "max_scale_up_rate", Kind: sim.Float, Default: 1000.0, Min: sim.Bound(1.000001), Description: "max-scale-up-rate: at most this multiple of the ready pods per decision", Source: "Knative default 1000.0"},
	{Name: "max_scale_down_rate", Kind: sim.Float, Default: 2.0, Min: sim.Bound(1.000001), Description: "max-scale-down-rate: at least ready/this pods after a decision", Source: "Knative default 2.0"},
	{Name: "scale_down_delay", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "scale-down-delay: a decrease applies only after the lower count has held this long", Source: "Knative default 0s"},
	{Name: "tick", Kind: sim.Duration, Default: 2 * sim.Second, Min: sim.Bound(0.001), Description: "how often the decider runs", Source: "knative/serving multiscaler.go tickInterval 2s"},
}

// KPAConfigOf reads a KPA's configuration from complete parameters.
func KPAConfigOf(p sim.Params) KPAConfig {
	return KPAConfig{
		MinReplicas: int(p.Int("min_replicas")), MaxReplicas: int(p.Int("max_replicas")),
		ScaleToZero: p.Bool("enable_scale_to_zero"), ScaleToZeroGrace: p.Duration("scale_to_zero_grace_period"),
		Target: p.Float("target"), Utilization: p.Float("target_utilization"),
		StableWindow: p.Duration("stable_window"), PanicWindowPercent: p.Float("panic_window_percentage"),
		PanicThreshold: p.Float("panic_threshold_percentage") / 100,
		MaxScaleUpRate: p.Float("max_scale_up_rate"), MaxScaleDownRate: p.Float("max_scale_down_rate"),
		ScaleDownDelay: p.Duration("scale_down_delay"), Tick: p.Duration("tick"),
	}
}

// KPA is one revision's decider state.
type KPA struct {
	cfg          KPAConfig
	started      bool
	buckets      []timedF // total concurrency per tick, newest last
	panicking    bool
	panicTime    sim.Time
	maxPanicPods int
	delay        []timed // recent desired counts (scale-down delay)
	// The PodAutoscaler's Active condition: active since activeSince, or
	// inactive (the activator in the path) since inactiveSince.
	inactive                   bool
	activeSince, inactiveSince sim.Time
	// Last is the outcome of the last tick, for tests and traces.
	Last KPAStep
}

type timedF struct {
	at sim.Time
	v  float64
}

// KPAStep is what one tick computed.
type KPAStep struct {
	Stable, Panic float64 // observed concurrency over the two windows
	Panicking     bool
	Desired       int
}

// NewKPA returns a KPA with configuration c.
func NewKPA(c KPAConfig) *KPA { return &KPA{cfg: c} }

// Interval implements topology.Autoscaler.
func (k *KPA) Interval() sim.Time { return k.cfg.Tick }

// ScaleToZero implements topology.ZeroScaler.
func (k *KPA) ScaleToZero() bool { return k.cfg.ScaleToZero && k.cfg.MinReplicas == 0 }

// Scale implements topology.Autoscaler.
func (k *KPA) Scale(v *topology.ScaleView) int {
	if !k.started { // newAutoscaler: start in panic over more than one pod
		k.started = true
		if v.Ready > 1 {
			k.panicking, k.panicTime, k.maxPanicPods = true, 0, v.Ready // created at the start of the run
		}
	}
	total := float64(v.Buffered) // what the activator holds, as it reports it
	for _, p := range v.Pods {
		if p.Ready {
			total += p.InFlight
		}
	}
	k.buckets = append(k.buckets, timedF{v.Now, total})
	for len(k.buckets) > 0 && k.buckets[0].at <= v.Now-k.cfg.StableWindow {
		k.buckets = k.buckets[1:]
	}
	panicWindow := sim.Time(float64(k.cfg.StableWindow) * k.cfg.PanicWindowPercent / 100)
	stable, panic := k.average(v.Now, k.cfg.StableWindow), k.average(v.Now, panicWindow)
	target := k.cfg.Target
	if target == 0 || target > float64(v.Concurrency) {
		target = float64(v.Concurrency)
	}
	target = max(0.01, target*k.cfg.Utilization) // autoscaling.TargetMin
	desired := k.decide(v.Now, v.Ready, stable, panic, target)
	maxR := k.cfg.MaxReplicas
	if maxR == 0 {
		maxR = v.Max
	}
	desired = min(max(desired, k.cfg.MinReplicas), maxR)
	desired = k.toZero(v, desired)
	k.Last = KPAStep{Stable: stable, Panic: panic, Panicking: k.panicking, Desired: desired}
	return desired
}

// toZero is handleScaleToZero over a bounded decision: it decides when 0
// pods may apply.
func (k *KPA) toZero(v *topology.ScaleView, desired int) int {
	if desired != 0 {
		if k.inactive { // demand again: the revision activates
			k.inactive, k.activeSince = false, v.Now
		}
		return desired
	}
	if !k.cfg.ScaleToZero {
		return 1
	}
	if !k.inactive {
		if v.Now-k.activeSince >= k.cfg.StableWindow {
			k.inactive, k.inactiveSince = true, v.Now // marked inactive; the count stays
			return v.Current
		}
		return 1 // at most 1 for the rest of the idle period
	}
	if v.Now-k.inactiveSince >= k.cfg.ScaleToZeroGrace {
		return 0
	}
	return v.Current
}

// average is the mean of the buckets within window before now.
func (k *KPA) average(now, window sim.Time) float64 {
	sum, n := 0.0, 0
	for i := len(k.buckets) - 1; i >= 0 && k.buckets[i].at > now-window; i-- {
		sum += k.buckets[i].v
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// decide is autoscaler.Scale from the observed values on: ready pods,
// stable and panic concurrency and the target per pod.
func (k *KPA) decide(now sim.Time, ready int, stable, panic, target float64) int {
	readyF := math.Max(1, float64(ready))
	maxUp := math.Ceil(k.cfg.MaxScaleUpRate * readyF)
	maxDown := math.Floor(readyF / k.cfg.MaxScaleDownRate)
	dspc := math.Ceil(stable / target)
	dppc := math.Ceil(panic / target)
	desiredStable := int(math.Min(math.Max(dspc, maxDown), maxUp))
	desiredPanic := int(math.Min(math.Max(dppc, maxDown), maxUp))
	over := dppc/readyF >= k.cfg.PanicThreshold
	switch {
	case over: // begin, or extend, panicking
		k.panicking, k.panicTime = true, now
	case k.panicking && k.panicTime+k.cfg.StableWindow < now:
		k.panicking, k.maxPanicPods = false, 0
	}
	desired := desiredStable
	if k.panicking {
		desired = max(desired, desiredPanic)
		if desired > k.maxPanicPods {
			k.maxPanicPods = desired
		}
		desired = k.maxPanicPods // never scale down in panic
	}
	if k.cfg.ScaleDownDelay > 0 { // max.TimeWindow: the largest of the window
		keep := k.delay[:0]
		for _, d := range k.delay {
			if d.at > now-k.cfg.ScaleDownDelay {
				keep = append(keep, d)
			}
		}
		k.delay = append(keep, timed{now, desired})
		for _, d := range k.delay {
			desired = max(desired, d.n)
		}
	}
	return desired
}
