package strategies

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// slowStart is Envoy's slow_start_config for the round robin and least
// request load balancers (api/envoy/extensions/load_balancing_policies/
// common/v3/common.proto SlowStartConfig; docs .../load_balancing/
// slow_start.rst; EdfLoadBalancerBase::applySlowStartFactor): a host that
// came up less than window ago has its weight scaled by
//
//	max(min_weight, time_factor^(1/aggression)),  time_factor = max(age, 1ms)/window
//
// so its share of traffic ramps up over the window. While any host ramps,
// the balancer schedules weighted (EDF) even when the configured weights
// are equal. Hosts up since the start of the run are established, not
// ramping: only hosts that (re)start during the run are eased in.
type slowStart struct {
	window     sim.Time // 0: off
	aggression float64
	minWeight  float64
}

// slowStartParams are the slow start parameters shared by round-robin,
// weighted-round-robin and least-request.
var slowStartParams = sim.ParamSet{
	{
		Name: "slow_start_window", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0),
		Description: "how long a (re)started host takes to ramp up to its full weight; 0 disables slow start",
		Source:      "Envoy SlowStartConfig.slow_start_window (no default: slow start is off unless set)",
	},
	{
		Name: "slow_start_aggression", Kind: sim.Float, Default: 1.0, Min: sim.Bound(0.01),
		Description: "shape of the ramp: 1 is linear, larger ramps faster early on (weight ∝ time_factor^(1/aggression))",
		Source:      "Envoy SlowStartConfig.aggression, default 1.0",
	},
	{
		Name: "slow_start_min_weight", Kind: sim.Ratio, Default: 0.1,
		Description: "floor of the ramping weight, as a fraction of the host's full weight",
		Source:      "Envoy SlowStartConfig.min_weight_percent, default 10%",
	},
}

func readSlowStart(p sim.Params) slowStart {
	return slowStart{
		window:     p.Duration("slow_start_window"),
		aggression: p.Float("slow_start_aggression"),
		minWeight:  p.Float("slow_start_min_weight"),
	}
}

// ramping reports whether a host up since since is still in its window at now.
func (s slowStart) ramping(now, since sim.Time) bool {
	return s.window > 0 && since > 0 && now-since < s.window
}

// factor is the multiplier slow start applies to the weight of a host up
// since since, at now: 1 outside the window.
func (s slowStart) factor(now, since sim.Time) float64 {
	if !s.ramping(now, since) {
		return 1
	}
	tf := float64(max(now-since, sim.Millisecond)) / float64(s.window)
	if s.aggression != 1 {
		tf = math.Pow(tf, 1/s.aggression)
	}
	return max(tf, s.minWeight)
}

// anyRamping reports whether any of hosts is ramping at now.
func (s slowStart) anyRamping(now sim.Time, eps topology.Endpoints, hosts []int32) bool {
	if s.window <= 0 {
		return false
	}
	for _, h := range hosts {
		if s.ramping(now, eps.Since(int(h))) {
			return true
		}
	}
	return false
}
