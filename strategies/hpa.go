package strategies

import (
	"fmt"
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// The Kubernetes HorizontalPodAutoscaler, after the controller's running
// code (kubernetes/kubernetes pkg/controller/podautoscaler):
//
//   - every sync period (--horizontal-pod-autoscaler-sync-period, 15 s)
//     horizontal.go reconcileAutoscaler reads the scale's spec.replicas
//     (current), clamps it into [min, max] when outside, else asks the
//     replica calculator for a recommendation and normalises it;
//   - replica_calculator.go GetResourceReplicas (cpu) / calcPlainMetricReplicas
//     (a pods metric): groupPods sets aside pods not ready (Pending: our
//     starting pods) and, for cpu, ready pods whose metric window began
//     before they became ready (within cpuInitializationPeriod of their
//     start); usageRatio = mean utilisation of the rest / target; inside
//     the tolerance nothing changes; otherwise ceil(usageRatio × ready),
//     except that on a scale-up the set-aside pods count as using 0 and
//     the ratio is recomputed over all of them (and the change dropped if
//     it would flip direction). No metric at all: the sync fails and
//     nothing changes (its recommendation is not recorded either).
//   - horizontal.go normalizeDesiredReplicasWithBehaviors:
//     stabilizeRecommendationWithBehaviors keeps the current count
//     between the min of the recommendations within the scale-up window
//     and the max of those within the scale-down window (300 s), then
//     convertDesiredReplicasWithBehaviorRate limits the change by the
//     policies (default up: max of 100% and 4 pods per 15 s; down: 100%
//     per 15 s) counted from the replicas at the start of each policy's
//     period (scale events of the last period), and by [min, max].
//
// The metric pipeline is modelled as metrics-server with a 15 s
// resolution equal to the sync period: each sync sees every ready pod's
// utilisation averaged since the previous sync. Missing metrics do not
// occur (every running pod is measured), so the missing-pods branch is
// not modelled. Where the documentation differs from the code (it does
// not mention that set-aside pods are dropped again when the recomputed
// ratio flips direction), this follows the code.

// HPAPolicy is one HPAScalingPolicy: Value pods or percent per Period.
type HPAPolicy struct {
	Percent bool
	Value   int
	Period  sim.Time
}

// HPARules is an HPAScalingRules: a stabilisation window, policies and
// how they combine (SelectPolicy Max, Min or Disabled).
type HPARules struct {
	Stabilization sim.Time
	Select        string // "max", "min" or "disabled"
	Policies      []HPAPolicy
}

// HPAConfig is one HorizontalPodAutoscaler.
type HPAConfig struct {
	MinReplicas, MaxReplicas int // MaxReplicas 0: the service's pool
	Metric                   string
	Target                   float64 // utilisation (0..) for cpu, in-flight per pod for inflight
	TolDown, TolUp           float64 // Tolerances{scaleDown, scaleUp}
	SyncPeriod               sim.Time
	CPUInitialization        sim.Time
	Up, Down                 HPARules
}

var hpaParams = sim.ParamSet{
	{Name: "min_replicas", Kind: sim.Int, Default: int64(1), Min: sim.Bound(1), Description: "spec.minReplicas", Source: "autoscaling/v2 default 1"},
	{Name: "max_replicas", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0), Description: "spec.maxReplicas; 0: the service's max_replicas"},
	{Name: "metric", Kind: sim.Enum, Default: "cpu", Choices: []string{"cpu", "inflight"}, Description: "cpu: a Resource metric, the busy fraction of the pod's slots against target_utilization; inflight: a Pods metric, requests at the pod against target_inflight (AverageValue)"},
	{Name: "target_utilization", Kind: sim.Ratio, Default: 0.8, Description: "averageUtilization of the cpu metric", Source: "autoscaling/v2 SetDefaults_HorizontalPodAutoscaler: 80% cpu when no metric is given"},
	{Name: "target_inflight", Kind: sim.Float, Default: 1.0, Min: sim.Bound(0.001), Description: "averageValue of the inflight metric: requests per pod"},
	{Name: "scale_up_tolerance", Kind: sim.Ratio, Default: 0.1, Description: "no scale-up while usage/target ≤ 1 + this (behavior.scaleUp.tolerance)", Source: "--horizontal-pod-autoscaler-tolerance 0.1"},
	{Name: "scale_down_tolerance", Kind: sim.Ratio, Default: 0.1, Description: "no scale-down while usage/target ≥ 1 − this (behavior.scaleDown.tolerance)", Source: "--horizontal-pod-autoscaler-tolerance 0.1"},
	{Name: "sync_period", Kind: sim.Duration, Default: 15 * sim.Second, Min: sim.Bound(0.001), Description: "how often the controller reconciles (and the metrics' window)", Source: "--horizontal-pod-autoscaler-sync-period 15s"},
	{Name: "cpu_initialization_period", Kind: sim.Duration, Default: 5 * sim.Minute, Min: sim.Bound(0), Description: "after a pod starts, its cpu sample is set aside unless it covers a whole window since the pod became ready", Source: "--horizontal-pod-autoscaler-cpu-initialization-period 5m"},
	{Name: "scale_up_stabilization", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "behavior.scaleUp.stabilizationWindowSeconds", Source: "autoscaling/v2 default 0"},
	{Name: "scale_up_select", Kind: sim.Enum, Default: "max", Choices: []string{"max", "min", "disabled"}, Description: "behavior.scaleUp.selectPolicy", Source: "autoscaling/v2 default Max"},
	{Name: "scale_up_percent", Kind: sim.Int, Default: int64(100), Min: sim.Bound(0), Description: "a Percent policy of behavior.scaleUp: at most this % more pods per scale_up_percent_period (0: no such policy)", Source: "autoscaling/v2 default 100% per 15 s"},
	{Name: "scale_up_percent_period", Kind: sim.Duration, Default: 15 * sim.Second, Min: sim.Bound(0.001), Description: "periodSeconds of that policy"},
	{Name: "scale_up_pods", Kind: sim.Int, Default: int64(4), Min: sim.Bound(0), Description: "a Pods policy of behavior.scaleUp: at most this many more pods per scale_up_pods_period (0: no such policy)", Source: "autoscaling/v2 default 4 pods per 15 s"},
	{Name: "scale_up_pods_period", Kind: sim.Duration, Default: 15 * sim.Second, Min: sim.Bound(0.001), Description: "periodSeconds of that policy"},
	{Name: "scale_down_stabilization", Kind: sim.Duration, Default: 300 * sim.Second, Min: sim.Bound(0), Description: "behavior.scaleDown.stabilizationWindowSeconds: the count never falls below the highest recommendation of this window", Source: "--horizontal-pod-autoscaler-downscale-stabilization 5m"},
	{Name: "scale_down_select", Kind: sim.Enum, Default: "max", Choices: []string{"max", "min", "disabled"}, Description: "behavior.scaleDown.selectPolicy", Source: "autoscaling/v2 default Max"},
	{Name: "scale_down_percent", Kind: sim.Int, Default: int64(100), Min: sim.Bound(0), Description: "a Percent policy of behavior.scaleDown (0: no such policy)", Source: "autoscaling/v2 default 100% per 15 s"},
	{Name: "scale_down_percent_period", Kind: sim.Duration, Default: 15 * sim.Second, Min: sim.Bound(0.001), Description: "periodSeconds of that policy"},
	{Name: "scale_down_pods", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0), Description: "a Pods policy of behavior.scaleDown (0: no such policy)"},
	{Name: "scale_down_pods_period", Kind: sim.Duration, Default: 15 * sim.Second, Min: sim.Bound(0.001), Description: "periodSeconds of that policy"},
}

// HPAConfigOf reads an HPA's configuration from complete parameters.
func HPAConfigOf(p sim.Params) (HPAConfig, error) {
	c := HPAConfig{
		MinReplicas: int(p.Int("min_replicas")), MaxReplicas: int(p.Int("max_replicas")),
		Metric: p.String("metric"), TolDown: p.Float("scale_down_tolerance"), TolUp: p.Float("scale_up_tolerance"),
		SyncPeriod: p.Duration("sync_period"), CPUInitialization: p.Duration("cpu_initialization_period"),
	}
	c.Target = p.Float("target_utilization")
	if c.Metric == "inflight" {
		c.Target = p.Float("target_inflight")
	}
	rules := func(dir string) HPARules {
		r := HPARules{Stabilization: p.Duration("scale_" + dir + "_stabilization"), Select: p.String("scale_" + dir + "_select")}
		if v := p.Int("scale_" + dir + "_pods"); v > 0 {
			r.Policies = append(r.Policies, HPAPolicy{Value: int(v), Period: p.Duration("scale_" + dir + "_pods_period")})
		}
		if v := p.Int("scale_" + dir + "_percent"); v > 0 {
			r.Policies = append(r.Policies, HPAPolicy{Percent: true, Value: int(v), Period: p.Duration("scale_" + dir + "_percent_period")})
		}
		return r
	}
	c.Up, c.Down = rules("up"), rules("down")
	switch {
	case c.MaxReplicas > 0 && c.MaxReplicas < c.MinReplicas:
		return c, fmt.Errorf("max_replicas (%d) is below min_replicas (%d)", c.MaxReplicas, c.MinReplicas)
	case !(c.Target > 0):
		return c, fmt.Errorf("the target must be positive")
	case c.Up.Select != "disabled" && len(c.Up.Policies) == 0:
		return c, fmt.Errorf("scale-up has no policy: give scale_up_percent or scale_up_pods, or scale_up_select: disabled")
	case c.Down.Select != "disabled" && len(c.Down.Policies) == 0:
		return c, fmt.Errorf("scale-down has no policy: give scale_down_percent or scale_down_pods, or scale_down_select: disabled")
	}
	return c, nil
}

type timed struct {
	at sim.Time
	n  int
}

// HPA is one HorizontalPodAutoscaler's controller state: its
// recommendations and scale events (horizontal.go keeps them per HPA key).
type HPA struct {
	cfg       HPAConfig
	recs      []timed // unstabilised recommendations
	ups, down []timed // scale events: replicas added, removed
	// Last is the outcome of the last sync, for tests and traces.
	Last HPAStep
}

// HPAStep is what one sync computed.
type HPAStep struct {
	Metric     int // the replica calculator's recommendation (-1: no metrics)
	Stabilized int
	Desired    int
}

// NewHPA returns an HPA with configuration c.
func NewHPA(c HPAConfig) *HPA { return &HPA{cfg: c} }

// Interval implements topology.Autoscaler.
func (h *HPA) Interval() sim.Time { return h.cfg.SyncPeriod }

// Scale implements topology.Autoscaler: horizontal.go reconcileAutoscaler.
func (h *HPA) Scale(v *topology.ScaleView) int {
	maxR := h.cfg.MaxReplicas
	if maxR == 0 {
		maxR = v.Max
	}
	cur := v.Current
	h.Last = HPAStep{Metric: -1, Stabilized: cur, Desired: cur}
	var desired int
	switch {
	case cur > maxR:
		desired = maxR
	case cur < h.cfg.MinReplicas:
		desired = h.cfg.MinReplicas
	default:
		rec, ok := h.recommend(v)
		if !ok { // "failed to compute desired number of replicas": no rescale
			return cur
		}
		h.Last.Metric = rec
		desired = h.normalize(v.Now, cur, rec, maxR)
	}
	h.Last.Desired = desired
	if desired != cur {
		h.store(v.Now, cur, desired)
	}
	return desired
}

// recommend is replica_calculator.go GetResourceReplicas (cpu) or
// calcPlainMetricReplicas (inflight) on the view's pods.
func (h *HPA) recommend(v *topology.ScaleView) (int, bool) {
	var used []float64 // the metrics of the pods counted
	unready := 0
	for _, p := range v.Pods {
		value := p.Utilization
		if h.cfg.Metric == "inflight" {
			value = p.InFlight
		}
		switch {
		case !p.Ready: // Pending
			unready++
		case h.cfg.Metric == "cpu" && p.Created+h.cfg.CPUInitialization > v.Now && v.Now < p.ReadySince+h.cfg.SyncPeriod:
			// within the initialisation period, and the metric window
			// began before the pod became ready
			unready++
		default:
			used = append(used, value)
		}
	}
	return ReplicaRecommendation(v.Current, used, unready, h.cfg.Target, h.cfg.TolDown, h.cfg.TolUp)
}

// ReplicaRecommendation is the replica calculator's arithmetic: current
// replicas, the metrics of the ready pods, the number of pods set aside as
// unready, the target per pod and the tolerances down and up (Tolerances
// isWithin). ok is false when there is no metric (the controller's "did
// not receive metrics for targeted pods").
func ReplicaRecommendation(current int, metrics []float64, unready int, target, down, up float64) (n int, ok bool) {
	if len(metrics) == 0 {
		return 0, false
	}
	sum := 0.0
	for _, m := range metrics {
		sum += m
	}
	ratio := sum / float64(len(metrics)) / target
	within := func(r float64) bool { return 1-down <= r && r <= 1+up }
	if !(unready > 0 && ratio > 1) {
		if within(ratio) {
			return current, true
		}
		return int(math.Ceil(ratio * float64(len(metrics)))), true
	}
	// a scale-up with unready pods: they count as using 0
	all := len(metrics) + unready
	nr := sum / float64(all) / target
	if within(nr) || nr < 1 {
		return current, true
	}
	n = int(math.Ceil(nr * float64(all)))
	if n < current {
		return current, true
	}
	return n, true
}

// normalize is horizontal.go normalizeDesiredReplicasWithBehaviors.
func (h *HPA) normalize(now sim.Time, cur, rec, maxR int) int {
	st := h.stabilize(now, cur, rec)
	h.Last.Stabilized = st
	return h.limit(now, cur, st, maxR)
}

// stabilize is stabilizeRecommendationWithBehaviors: the current count,
// raised to the lowest recommendation of the scale-up window and lowered
// to the highest of the scale-down window (this sync's included); it then
// records this sync's recommendation.
func (h *HPA) stabilize(now sim.Time, cur, rec int) int {
	up, down := rec, rec
	upCut, downCut := now-h.cfg.Up.Stabilization, now-h.cfg.Down.Stabilization
	keep := h.recs[:0]
	for _, r := range h.recs {
		if r.at > upCut {
			up = min(up, r.n)
		}
		if r.at > downCut {
			down = max(down, r.n)
		}
		if r.at > upCut || r.at > downCut {
			keep = append(keep, r)
		}
	}
	h.recs = append(keep, timed{now, rec})
	n := cur
	if n < up {
		n = up
	}
	if n > down {
		n = down
	}
	return n
}

// limit is convertDesiredReplicasWithBehaviorRate.
func (h *HPA) limit(now sim.Time, cur, desired, maxR int) int {
	switch {
	case desired > cur:
		upLimit := h.upLimit(now, cur)
		if upLimit < cur {
			upLimit = cur
		}
		return min(desired, maxR, upLimit)
	case desired < cur:
		downLimit := min(h.downLimit(now, cur), cur)
		return max(desired, h.cfg.MinReplicas, downLimit)
	}
	return desired
}

// changed is getReplicasChangePerPeriod: the replicas events added (or
// removed) within period before now.
func changed(now, period sim.Time, events []timed) int {
	n := 0
	for _, e := range events {
		if e.at > now-period {
			n += e.n
		}
	}
	return n
}

// upLimit is calculateScaleUpLimitWithScalingRules.
func (h *HPA) upLimit(now sim.Time, cur int) int {
	r := h.cfg.Up
	if r.Select == "disabled" {
		return cur
	}
	result := math.MinInt
	if r.Select == "min" {
		result = math.MaxInt
	}
	for _, p := range r.Policies {
		start := cur - changed(now, p.Period, h.ups) + changed(now, p.Period, h.down)
		var proposed int
		if p.Percent {
			proposed = int(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		} else {
			proposed = start + p.Value
		}
		if r.Select == "min" {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// downLimit is calculateScaleDownLimitWithBehaviors.
func (h *HPA) downLimit(now sim.Time, cur int) int {
	r := h.cfg.Down
	if r.Select == "disabled" {
		return cur
	}
	result := math.MaxInt
	if r.Select == "min" {
		result = math.MinInt
	}
	for _, p := range r.Policies {
		start := cur - changed(now, p.Period, h.ups) + changed(now, p.Period, h.down)
		var proposed int
		if p.Percent {
			proposed = int(float64(start) * (1 - float64(p.Value)/100))
		} else {
			proposed = start - p.Value
		}
		if r.Select == "min" {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}

// store is storeScaleEvent: it records a change of the count, forgetting
// events older than the longest policy period.
func (h *HPA) store(now sim.Time, prev, next int) {
	longest := func(r HPARules) sim.Time {
		var l sim.Time
		for _, p := range r.Policies {
			l = max(l, p.Period)
		}
		return l
	}
	prune := func(ev []timed, l sim.Time) []timed {
		keep := ev[:0]
		for _, e := range ev {
			if e.at > now-l {
				keep = append(keep, e)
			}
		}
		return keep
	}
	if next > prev {
		h.ups = append(prune(h.ups, longest(h.cfg.Up)), timed{now, next - prev})
	} else {
		h.down = append(prune(h.down, longest(h.cfg.Down)), timed{now, prev - next})
	}
}
