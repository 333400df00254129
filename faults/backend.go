package faults

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// backendFaults make replicas slow, erroring or smaller.
var backendFaults = []*Def{
	{
		Name:        "degradation",
		Description: "the target replicas degrade: extra latency per request, a slowdown factor, an added error rate, lost capacity (service slots); faults on one replica stack",
		Source:      "backend degradation (E scenarios: brownouts, gray failure)",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "extra_latency", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "added to every service time"},
			{Name: "slowdown", Kind: sim.Float, Default: 3.0, Min: sim.Bound(1), Description: "service-time multiplier (default: a 3× brownout)"},
			{Name: "error_rate", Kind: sim.Ratio, Default: 0.0, Description: "additional probability a served request fails"},
			{Name: "capacity_loss", Kind: sim.Ratio, Default: 0.0, Description: "fraction of service slots lost"},
		},
		Build: func(p sim.Params) (Injector, error) {
			d := topology.Degradation{
				ExtraLatency: p.Duration("extra_latency"), Slowdown: p.Float("slowdown"),
				ErrorRate: p.Float("error_rate"), CapacityLoss: p.Float("capacity_loss"),
			}
			if d.ExtraLatency == 0 && d.Slowdown == 1 && d.ErrorRate == 0 && d.CapacityLoss == 0 {
				return nil, fmt.Errorf("degradation needs at least one of extra_latency, slowdown, error_rate, capacity_loss")
			}
			return perReplica(func(w *topology.World, r *topology.Replica) func() { return w.Degrade(r, d) }), nil
		},
	},
	{
		Name: "cold-start",
		Description: "the target replicas restart cold (losing their work unless restart: false) and warm up: service times are multiplied by " +
			"1 + factor·e^(−t/tau) (a JVM or cache warming after a restart or scale-up)",
		Source:  "cold start / warm-up (envoy#11050; routing.md §6.4)",
		Targets: Replicas,
		Params: sim.ParamSet{
			{Name: "factor", Kind: sim.Float, Default: 10.0, Min: sim.Bound(0), Description: "extra service-time multiple at t = 0"},
			{Name: "tau", Kind: sim.Duration, Default: 30 * sim.Second, Min: sim.Bound(0.001), Description: "warm-up time constant"},
			{Name: "restart", Kind: sim.Bool, Default: true, Description: "restart the replica first, losing queued and in-service work"},
		},
		Build: func(p sim.Params) (Injector, error) {
			f, tau, restart := p.Float("factor"), p.Duration("tau"), p.Bool("restart")
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				if restart {
					w.Crash(r)()
				}
				w.Warm(r, f, tau)
				return func() {}
			}), nil
		},
	},
}
