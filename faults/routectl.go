package faults

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// controlFaults break the routing control plane and the world it senses:
// slow engines, prices, threats and lags that move, policies that
// conflict, attackers, brokers that fail, models that drift, and
// serverless instances that scale to zero. Those acting on the routing
// control plane do nothing in a world without one.
var controlFaults = []*Def{
	{
		Name:        "slow-decision-engine",
		Description: "every evaluation of the decision engines on the target nodes (controllers, sidecars, edges) takes latency before its decisions can be actuated, and the next waits for it",
		Source:      "E-F7 decision latency",
		Targets:     Nodes,
		Params: sim.ParamSet{
			{Name: "latency", Kind: sim.Duration, Unit: "duration", Default: 5 * sim.Second, Min: sim.Bound(0), Description: "mean computation time of one evaluation"},
			{Name: "shape", Kind: sim.Enum, Default: "exponential", Choices: []string{"constant", "exponential"}, Description: "its distribution"},
		},
		Build: func(p sim.Params) (Injector, error) {
			mean := p.Duration("latency").Seconds()
			var d sim.Dist = sim.Constant{V: mean}
			if p.String("shape") == "exponential" {
				d = sim.Exponential{M: mean}
			}
			return perNode(func(s *state.State, n *state.Node) func() { return routectl.Of(s.World()).SlowEngine(n, d) }), nil
		},
	},
	{
		Name:        "cost-spike",
		Description: "the target regions' cost changes: price multiplies the true price (the cost signal reports it); signal multiplies only the cost signal, a misweighted cost that hides the true price (cost runaway)",
		Source:      "E-F8 cost runaway",
		Targets:     Places,
		Params: sim.ParamSet{
			{Name: "mode", Kind: sim.Enum, Default: "price", Choices: []string{"price", "signal"}, Description: "price: the region really costs more; signal: the cost signal is misweighted"},
			{Name: "factor", Kind: sim.Float, Default: 3.0, Min: sim.Bound(0.001), Description: "the multiplier"},
		},
		Build: func(p sim.Params) (Injector, error) {
			f := p.Float("factor")
			sh := topology.RegionShift{Price: f}
			if p.String("mode") == "signal" {
				sh = topology.RegionShift{Signal: f}
			}
			return perRegion(func(w *topology.World, region string) func() { return w.Bus.ShiftRegion(region, sh) }), nil
		},
	},
	{
		Name:        "intrusion",
		Description: "suspicious activity in the target regions: the security sensor's threat score rises by delta (capped at 1)",
		Source:      "E use case: security-driven isolation (threat scores from a WAF or CASB)",
		Targets:     Places,
		Params:      sim.ParamSet{{Name: "delta", Kind: sim.Ratio, Default: 0.8, Description: "added to the threat score"}},
		Build: func(p sim.Params) (Injector, error) {
			sh := topology.RegionShift{Threat: p.Float("delta")}
			return perRegion(func(w *topology.World, region string) func() { return w.Bus.ShiftRegion(region, sh) }), nil
		},
	},
	{
		Name:        "region-lag",
		Description: "the target regions' replication-lag sensor reports extra lag (a replication backlog; a data layer feeding the sensor reports its own lag and this adds to it)",
		Source:      "E use case: multi-region failover fusing replication lag; D-F1 replica lag as a routing signal",
		Targets:     Places,
		Params:      sim.ParamSet{{Name: "lag", Kind: sim.Duration, Unit: "duration", Default: 30 * sim.Second, Min: sim.Bound(0), Description: "added replication lag"}},
		Build: func(p sim.Params) (Injector, error) {
			sh := topology.RegionShift{Lag: p.Duration("lag")}
			return perRegion(func(w *topology.World, region string) func() { return w.Bus.ShiftRegion(region, sh) }), nil
		},
	},
	{
		Name:        "policy-conflict",
		Description: "another team's policy source adds a rule about the target regions that conflicts with the configured policies (redirect them elsewhere, deny them, allow only them, or cap them)",
		Source:      "E-F3 policy conflict",
		Targets:     Places,
		Params: sim.ParamSet{
			{Name: "rule", Kind: sim.Enum, Default: "deny", Choices: routectl.RuleKinds(), Description: "what the injected rule does to the target regions"},
			{Name: "to", Kind: sim.String, Default: "", Description: "redirect: where the traffic goes instead"},
			{Name: "share", Kind: sim.Ratio, Default: 0.5, Description: "cap: the largest share"},
			{Name: "source", Kind: sim.String, Default: "team-b", Description: "the policy source's name"},
			{Name: "precedence", Kind: sim.Int, Default: int64(10), Description: "its precedence (higher wins)"},
			{Name: "client", Kind: sim.String, Default: "", Description: "only this client's traffic; empty: every client"},
		},
		Build: func(p sim.Params) (Injector, error) {
			kind, _ := routectl.ParseRule(p.String("rule"))
			base := routectl.Rule{Kind: kind, To: p.String("to"), Share: p.Float("share"), Source: p.String("source"), Precedence: int(p.Int("precedence")), Client: p.String("client")}
			if kind == routectl.RuleRedirect && base.To == "" {
				return nil, fmt.Errorf("a redirect needs to")
			}
			return InjectorFunc(func(w *topology.World, t Targets) func() {
				if state.Of(w) == nil {
					return func() {}
				}
				regions := targetRegions(w, t)
				if kind == routectl.RuleAllow {
					r := base
					r.Regions = regions
					return routectl.Of(w).InjectRule(r)
				}
				var reverts []func()
				for _, reg := range regions {
					r := base
					r.Region = reg
					reverts = append(reverts, routectl.Of(w).InjectRule(r))
				}
				return func() {
					for _, f := range reverts {
						f()
					}
				}
			}), nil
		},
	},
	{
		Name: "control-plane-breach",
		Description: "an attacker in the control plane: forge sends reports for the target replicas without sensor credentials (making them look idle and healthy, or failing); " +
			"actuate writes unsigned routing configs sending all traffic to the targets' region; authenticated channels reject both",
		Source:  "E-F5 control-plane breach",
		Targets: Replicas,
		Params: sim.ParamSet{
			{Name: "mode", Kind: sim.Enum, Default: "both", Choices: []string{"forge", "actuate", "both"}, Description: "forged signals, unauthorised actuation, or both"},
			{Name: "forge", Kind: sim.Enum, Default: "idle", Choices: []string{"idle", "failing"}, Description: "what the forged reports claim"},
			{Name: "every", Kind: sim.Duration, Unit: "duration", Default: 30 * sim.Second, Min: sim.Bound(0), Description: "between unauthorised writes (0: one)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			mode, claim, every := p.String("mode"), p.String("forge"), p.Duration("every")
			forge := func(s topology.Signal) topology.Signal {
				if claim == "failing" {
					s.ErrorRate, s.Latency, s.Healthy, s.Utilization = 1, 10, true, 1
					return s
				}
				s.Value, s.Utilization, s.Latency, s.ErrorRate, s.Healthy, s.Cost, s.Threat, s.Lag = 0, 0, 0.001, 0, true, 0, 0, 0
				return s
			}
			return InjectorFunc(func(w *topology.World, t Targets) func() {
				var reverts []func()
				if mode != "actuate" {
					for _, r := range t.Replicas {
						reverts = append(reverts, w.Bus.Tamper(r, topology.Tamper{Forge: forge}))
					}
				}
				if mode != "forge" && state.Of(w) != nil {
					var regions []string
					for _, r := range t.Replicas {
						if reg := w.Places[r.Place].Region; !slices.Contains(regions, reg) {
							regions = append(regions, reg)
						}
					}
					for _, reg := range regions {
						reverts = append(reverts, routectl.Of(w).Breach(reg, every))
					}
				}
				return func() {
					for _, f := range reverts {
						f()
					}
				}
			}), nil
		},
	},
	{
		Name:        "broker-outage",
		Description: "the signal broker (brokered pattern) stops publishing: deciders reading it see its board age",
		Source:      "E brokered signal pattern (a central broker can fail); E-F2 stale signals",
		Targets:     Places,
		Build: constant(InjectorFunc(func(w *topology.World, _ Targets) func() {
			if state.Of(w) == nil {
				return func() {}
			}
			return routectl.Of(w).BrokerOutage()
		})),
	},
	{
		Name:        "model-drift",
		Description: "the predictive engines on the target nodes drift: their forecasts are multiplied by 1 + rate·(minutes since the fault began)",
		Source:      "E AI-augmented pattern: model drift (common mistake 12)",
		Targets:     Nodes,
		Params:      sim.ParamSet{{Name: "rate", Kind: sim.Float, Unit: "1/min", Default: 0.2, Description: "forecast skew gained per minute (negative: under-forecasting)"}},
		Build: func(p sim.Params) (Injector, error) {
			rate := p.Float("rate")
			return perNode(func(s *state.State, n *state.Node) func() { return routectl.Of(s.World()).DriftModel(n, rate) }), nil
		},
	},
	{
		Name:        "scale-to-zero",
		Description: "the target replicas run as serverless instances: after idle with nothing in service they scale to zero, and the next request waits a cold start",
		Source:      "E scenario #2 (serverless cold starts)",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "idle", Kind: sim.Duration, Unit: "duration", Default: 5 * sim.Minute, Min: sim.Bound(0), Description: "idle time after which an instance is reclaimed"},
			{Name: "cold_start", Kind: sim.Duration, Unit: "duration", Default: sim.Second, Min: sim.Bound(0), Description: "extra time the first request after a scale-to-zero waits (instance start and initialisation)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			idle, cold := p.Duration("idle"), p.Duration("cold_start")
			return perReplica(func(w *topology.World, r *topology.Replica) func() { return w.ScaleToZero(r, idle, cold) }), nil
		},
	},
}

// targetRegions lists the regions of a fault's target places, in world order.
func targetRegions(w *topology.World, t Targets) []string {
	var regions []string
	for _, p := range t.Places {
		if reg := w.Places[p].Region; !slices.Contains(regions, reg) {
			regions = append(regions, reg)
		}
	}
	return regions
}

// perRegion applies a region seam once per region of the target places.
func perRegion(apply func(w *topology.World, region string) (revert func())) Injector {
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		var reverts []func()
		for _, reg := range targetRegions(w, t) {
			reverts = append(reverts, apply(w, reg))
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	})
}
