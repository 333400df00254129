package strategies

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Vectors of kubernetes/kubernetes pkg/controller/podautoscaler
// replica_calculator_test.go (equal requests of 1 CPU, so a level of 300m
// is a utilisation of 0.3).
func TestReplicaRecommendationUpstream(t *testing.T) {
	tests := []struct {
		name            string
		current         int
		ready           []float64 // utilisation of the ready pods
		unready         int
		target          float64
		want            int
		wantNoRecommend bool
	}{
		{name: "TestReplicaCalcScaleUp", current: 3, ready: []float64{0.3, 0.5, 0.7}, target: 0.3, want: 5},
		{name: "TestReplicaCalcScaleUpUnreadyLessScale", current: 3, ready: []float64{0.5, 0.7}, unready: 1, target: 0.3, want: 4},
		{name: "TestReplicaCalcScaleUpUnreadyNoScale", current: 3, ready: []float64{0.4}, unready: 2, target: 0.3, want: 3},
		{name: "TestReplicaCalcScaleDown", current: 5, ready: []float64{0.1, 0.3, 0.5, 0.25, 0.25}, target: 0.5, want: 3},
		{name: "TestReplicaCalcScaleDownIgnoresUnreadyPods", current: 5, ready: []float64{0.1, 0.3, 0.5}, unready: 2, target: 0.5, want: 2},
		{name: "TestReplicaCalcTolerance (equal requests)", current: 3, ready: []float64{1.01, 1.03, 1.02}, target: 1.0, want: 3},
		{name: "TestReplicaCalcScaleUpCM (pods metric)", current: 3, ready: []float64{20, 10, 30}, target: 15, want: 4},
		{name: "TestReplicaCalcScaleDownCM (pods metric)", current: 5, ready: []float64{12, 12, 12, 12, 2}, target: 20, want: 3},
		{name: "no ready pod: no recommendation", current: 3, unready: 3, target: 0.5, wantNoRecommend: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ReplicaRecommendation(tc.current, tc.ready, tc.unready, tc.target, 0.1, 0.1)
			if tc.wantNoRecommend {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

// scalingRules is horizontal_test.go generateScalingRules(pods,
// podsPeriod, percent, percentPeriod, stabilisation), periods in seconds.
func scalingRules(pods, podsPeriod, percent, percentPeriod, stab int) HPARules {
	r := HPARules{Stabilization: sim.Time(stab) * sim.Second, Select: "max"}
	if pods > 0 {
		r.Policies = append(r.Policies, HPAPolicy{Value: pods, Period: sim.Time(podsPeriod) * sim.Second})
	}
	if percent > 0 {
		r.Policies = append(r.Policies, HPAPolicy{Percent: true, Value: percent, Period: sim.Time(percentPeriod) * sim.Second})
	}
	return r
}

// uniform is generateEventsUniformDistribution: the changes spread
// evenly over the last period seconds before now.
func uniform(now sim.Time, changes []int, period int) []timed {
	var ev []timed
	step := sim.Time(period) * sim.Second / sim.Time(len(changes))
	for i, c := range changes {
		ev = append(ev, timed{now - sim.Time(i)*step, c})
	}
	return ev
}

// Vectors of horizontal_test.go TestScalingWithRules: the rate limits of
// convertDesiredReplicasWithBehaviorRate.
func TestHPARateLimitsUpstream(t *testing.T) {
	def := HPAConfig{Up: scalingRules(4, 15, 100, 15, 0), Down: scalingRules(0, 0, 100, 15, 300)}
	now := 1000 * sim.Second
	tests := []struct {
		name             string
		min, max         int
		up, down         *HPARules
		ups, downs       []timed
		current, prenorm int
		want             int
	}{
		{name: "maxReplicas is the limit because maxReplicas < scaleUpLimit", min: 1, max: 10, current: 20 - 10, prenorm: 1000, want: 10},
		{name: "desired replica count is more than the maximum replica count", min: 100, max: 150, current: 100, prenorm: 1000, want: 150},
		{name: "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", min: 1, max: 2000, up: ptr(scalingRules(0, 0, 1, 60, 0)), current: 3, prenorm: 1000, want: 4},
		{name: "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", min: 3, max: 2000, down: ptr(scalingRules(20, 60, 0, 0, 0)), current: 1000, prenorm: 3, want: 980},
		{name: "scaleUp with default behavior", min: 1, max: 1000, current: 10, prenorm: 50, want: 20},
		{name: "scaleUp with pods policy larger than percent policy", min: 1, max: 1000, up: ptr(scalingRules(100, 60, 100, 60, 0)), current: 10, prenorm: 500, want: 110},
		{name: "scaleUp with percent policy larger than pods policy", min: 1, max: 1000, up: ptr(scalingRules(2, 60, 100, 60, 0)), current: 10, prenorm: 500, want: 20},
		{name: "scaleUp with pod policy limitation", min: 1, max: 1000, up: ptr(scalingRules(30, 60, 0, 0, 0)), current: 10, prenorm: 50, want: 40},
		{name: "scaleUp with percent policy limitation", min: 1, max: 1000, up: ptr(scalingRules(0, 0, 200, 60, 0)), current: 10, prenorm: 50, want: 30},
		{name: "scaleDown with percent policy larger than pod policy", min: 1, max: 1000, down: ptr(scalingRules(20, 60, 1, 60, 300)), current: 100, prenorm: 2, want: 80},
		{name: "scaleDown with pod policy larger than percent policy", min: 1, max: 1000, down: ptr(scalingRules(2, 60, 1, 60, 300)), current: 100, prenorm: 2, want: 98},
		{name: "scaleDown with spec MinReplicas limitation with large percent policy", min: 5, max: 1000, down: ptr(scalingRules(0, 0, 100, 60, 300)), current: 10, prenorm: 2, want: 5},
		{name: "scaleDown with pod policy limitation", min: 1, max: 1000, down: ptr(scalingRules(5, 60, 0, 0, 300)), current: 10, prenorm: 2, want: 5},
		{name: "scaleDown with percent policy limitation", min: 1, max: 1000, down: ptr(scalingRules(0, 0, 50, 60, 300)), current: 10, prenorm: 5, want: 5},
		{name: "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", min: 1, max: 1000, up: ptr(scalingRules(5, 120, 0, 0, 0)), ups: uniform(now, []int{1, 5, 9}, 120), current: 100, prenorm: 500, want: 100},
		{name: "scaleUp with pod policy and previous scale up events", min: 1, max: 1000, up: ptr(scalingRules(150, 120, 0, 0, 0)), ups: uniform(now, []int{1, 5, 9}, 120), current: 100, prenorm: 500, want: 235},
		{name: "scaleUp with percent policy and previous scale up events", min: 1, max: 1000, up: ptr(scalingRules(0, 0, 200, 120, 0)), ups: uniform(now, []int{1, 5, 9}, 120), current: 100, prenorm: 500, want: 255},
		{name: "scaleUp with percent policy and previous scale up and down events", min: 1, max: 1000, up: ptr(scalingRules(0, 0, 300, 300, 0)), ups: uniform(now, []int{4}, 120), downs: uniform(now, []int{2}, 120), current: 6, prenorm: 24, want: 16},
		{name: "scaleDown with pod policy limitation and previous events", min: 1, max: 1000, down: ptr(scalingRules(5, 120, 0, 0, 300)), downs: uniform(now, []int{1, 5, 9}, 120), current: 100, prenorm: 2, want: 100},
		{name: "scaleDown with percent policy limitation and previous events", min: 1, max: 1000, down: ptr(scalingRules(0, 0, 50, 120, 300)), downs: uniform(now, []int{2, 4, 6}, 120), current: 100, prenorm: 0, want: 56},
		{name: "scaleDown with percent policy and previous scale up and down events", min: 1, max: 1000, down: ptr(scalingRules(0, 0, 50, 180, 0)), ups: uniform(now, []int{2}, 120), downs: uniform(now, []int{4}, 120), current: 10, prenorm: 1, want: 6},
		{name: "scaleDown with previous events preventing further scale down", min: 1, max: 1000, down: ptr(scalingRules(0, 0, 10, 120, 300)), downs: uniform(now, []int{10, 10, 10}, 120), current: 100, prenorm: 0, want: 100},
		{name: "scaleDown with with previous events still allowing more scale down", min: 1, max: 1000, down: ptr(scalingRules(0, 0, 1000, 120, 300)), downs: uniform(now, []int{10, 10, 10}, 120), current: 10, prenorm: 5, want: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := def
			cfg.MinReplicas, cfg.MaxReplicas = tc.min, tc.max
			if tc.up != nil {
				cfg.Up = *tc.up
			}
			if tc.down != nil {
				cfg.Down = *tc.down
			}
			h := NewHPA(cfg)
			h.ups, h.down = tc.ups, tc.downs
			got := h.limit(now, tc.current, tc.prenorm, tc.max)
			if tc.current > tc.max || tc.current < tc.min { // reconcileAutoscaler clamps first
				got = min(max(tc.current, tc.min), tc.max)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func ptr[T any](x T) *T { return &x }

// The scale-down stabilisation window: a recommendation lower than the
// current count takes effect only once every recommendation of the last
// 300 s is that low (stabilizeRecommendationWithBehaviors).
func TestHPAStabilization(t *testing.T) {
	h := NewHPA(HPAConfig{MinReplicas: 1, MaxReplicas: 10, Up: scalingRules(4, 15, 100, 15, 0), Down: scalingRules(0, 0, 100, 15, 300)})
	cur := 8
	recs := []int{8, 2, 2, 2}
	for i, r := range recs {
		now := sim.Time(i*15) * sim.Second
		cur = h.normalize(now, cur, r, 10)
	}
	assert.Equal(t, 8, cur, "the 8 recommended at 0 s holds the count for 300 s")
	for i := 4; i <= 20; i++ {
		now := sim.Time(i*15) * sim.Second
		cur = h.normalize(now, cur, 2, 10)
		if now < 300*sim.Second { // a recommendation exactly 300 s old is out (timestamp.After(cutoff))
			assert.Equal(t, 8, cur, "at %v", now)
		}
	}
	assert.Equal(t, 2, cur, "after 300 s the window's highest is 2")
	// scale-up is immediate (window 0) but rate limited: from 2, max(2+4, 2·2) = 6
	cur = h.normalize(21*15*sim.Second, cur, 10, 10)
	assert.Equal(t, 6, cur)
}

// Knative's decider arithmetic (autoscaler.go Scale), with vectors after
// knative/serving pkg/autoscaler/scaling/autoscaler_test.go.
func TestKPADecide(t *testing.T) {
	base := KPAConfig{MinReplicas: 1, StableWindow: 60 * sim.Second, PanicWindowPercent: 10, PanicThreshold: 2, MaxScaleUpRate: 1000, MaxScaleDownRate: 2, Tick: 2 * sim.Second}
	tests := []struct {
		name                 string
		cfg                  func(*KPAConfig)
		ready                int
		stable, panic, targt float64
		want                 int
		panicking            bool
	}{
		{name: "stable mode: ceil(50/10)", ready: 5, stable: 50, panic: 50, targt: 10, want: 5},
		{name: "stable mode increase", ready: 5, stable: 70, panic: 70, targt: 10, want: 7},
		{name: "scale down limited by max-scale-down-rate 2", ready: 10, stable: 10, panic: 10, targt: 10, want: 5},
		{name: "rate limit up (TestAutoscalerRateLimitScaleUp): 10 × 1 ready", cfg: func(c *KPAConfig) { c.MaxScaleUpRate = 10 }, ready: 1, stable: 1000, panic: 1000, targt: 10, want: 10, panicking: true},
		{name: "rate limit down (TestAutoscalerRateLimitScaleDown): 100 ready / 10", cfg: func(c *KPAConfig) { c.MaxScaleDownRate = 10 }, ready: 100, stable: 1, panic: 1, targt: 10, want: 10},
		{name: "panic: the panic window asks for ≥ 200% of ready", ready: 2, stable: 20, panic: 40, targt: 10, want: 4, panicking: true},
		{name: "below the threshold: stable", ready: 2, stable: 20, panic: 29, targt: 10, want: 2},
		{name: "no ready pods count as one", ready: 0, stable: 30, panic: 30, targt: 10, want: 3, panicking: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			k := NewKPA(cfg)
			got := k.decide(10*sim.Second, tc.ready, tc.stable, tc.panic, tc.targt)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.panicking, k.panicking)
		})
	}
}

// In panic the KPA never scales down, and it leaves panic a stable window
// after the panic condition last held.
func TestKPAPanicNeverScalesDown(t *testing.T) {
	k := NewKPA(KPAConfig{MinReplicas: 1, StableWindow: 60 * sim.Second, PanicWindowPercent: 10, PanicThreshold: 2, MaxScaleUpRate: 1000, MaxScaleDownRate: 2, Tick: 2 * sim.Second})
	at := func(s int) sim.Time { return sim.Time(s) * sim.Second }
	require.Equal(t, 8, k.decide(at(2), 2, 10, 80, 10)) // panic: 8 pods
	assert.Equal(t, 8, k.decide(at(4), 8, 10, 10, 10), "in panic, a lower count is skipped")
	assert.Equal(t, 8, k.decide(at(62), 8, 10, 10, 10), "still in panic at exactly a stable window")
	assert.Equal(t, 4, k.decide(at(64), 8, 10, 10, 10), "out of panic: stable 1, limited by the scale-down rate to 8/2")
}

func Example_autoscalers() {
	for _, d := range Autoscalers() {
		fmt.Println(d.Name)
	}
	// One HPA sync: 4 ready pods at 90% of their CPU against a 50% target.
	def, _ := LookupAutoscaler("hpa")
	p, _ := def.Params.Complete(sim.Params{"target_utilization": 0.5})
	build, _ := def.Build(p)
	a := build()
	v := &topology.ScaleView{Now: 60 * sim.Second, Current: 4, Ready: 4, Max: 20, Concurrency: 1}
	for i := 0; i < 4; i++ {
		v.Pods = append(v.Pods, topology.PodSample{Ready: true, Utilization: 0.9, Window: 15 * sim.Second})
	}
	fmt.Println("every", a.Interval(), "→", a.Scale(v), "replicas")
	// Output:
	// fixed
	// hpa
	// kpa
	// every 15s → 8 replicas
}
