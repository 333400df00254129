package faults

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// driftFaults break the state model: updates lost or late, foreign writers,
// SDKs that stop syncing, rollouts that stall, nodes cut from the control
// plane or hidden from it. They act through State seams and do nothing in
// a world without a state model.
var driftFaults = []*Def{
	{
		Name:        "config-skew",
		Description: "channel updates of a key to the targets are lost (they keep their value until a later delivery, a resync or a repair) or arrive late",
		Source:      "D-F2 config skew",
		Targets:     Nodes,
		Params: sim.ParamSet{
			keyParam("the config or flag key whose updates are lost; empty: every config and flag key"),
			{Name: "mode", Kind: sim.Enum, Default: "lost", Choices: []string{"lost", "late"}, Description: "lost: deliveries vanish; late: each is held back by delay"},
			{Name: "delay", Kind: sim.Duration, Unit: "duration", Default: 30 * sim.Second, Min: sim.Bound(0), Description: "how late updates arrive (mode late)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			key, late, delay := p.String("key"), p.String("mode") == "late", p.Duration("delay")
			return perKey(key, func(k *state.Key) bool { return k.Kind == state.Config || k.Kind == state.Flag },
				func(s *state.State, n *state.Node, k *state.Key) func() {
					if late {
						return s.DelayUpdates(n, k, delay)
					}
					return s.LoseUpdates(n, k)
				}), nil
		},
	},
	{
		Name:        "config-drift",
		Description: "a foreign writer changes the targets' value of a key: once, periodically, or after every apply (a mutating webhook fighting the reconciler)",
		Source:      "D-F2 config drift; D-F5 reconciliation thrash emerges against a webhook (reconcile-slo.md §6.3)",
		Targets:     Nodes,
		Params: sim.ParamSet{
			keyParam("the key the writer changes; empty: every config key"),
			{Name: "mode", Kind: sim.Enum, Default: "once", Choices: []string{"once", "periodic", "webhook"}, Description: "once at the start; periodic every `every`; webhook after every apply by the control plane"},
			{Name: "every", Kind: sim.Duration, Unit: "duration", Default: sim.Minute, Min: sim.Bound(0.001), Description: "period of the periodic writer"},
			{Name: "delay", Kind: sim.Duration, Unit: "duration", Default: sim.Second, Min: sim.Bound(0), Description: "webhook: from an apply to the mutation (admission plus the watch)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			key, mode, every, delay := p.String("key"), p.String("mode"), p.Duration("every"), p.Duration("delay")
			return perKey(key, func(k *state.Key) bool { return k.Kind == state.Config },
				func(s *state.State, n *state.Node, k *state.Key) func() {
					switch mode {
					case "periodic":
						return s.Webhook(n, k, 0, every)
					case "webhook":
						return s.Webhook(n, k, delay, 0)
					}
					s.Mutate(n, k)
					return func() {}
				}), nil
		},
	},
	{
		Name:        "flag-sync-failure",
		Description: "the targets' flag SDKs stop receiving updates (a blocked stream, failing polls); afterwards they reconnect with backoff and resync",
		Source:      "D-F8 flag propagation / SDK sync failure",
		Targets:     Nodes,
		Params:      sim.ParamSet{keyParam("the flag; empty: every flag")},
		Build: func(p sim.Params) (Injector, error) {
			return perKey(p.String("key"), func(k *state.Key) bool { return k.Kind == state.Flag },
				func(s *state.State, n *state.Node, k *state.Key) func() { return s.FailSync(n, k) }), nil
		},
	},
	{
		Name:        "partial-deploy",
		Description: "new pods on the target replicas never pass readiness (an image that cannot be pulled, a crash loop): a rollout stalls part-way with versions mixed",
		Source:      "D-F3 partial deploy / version skew",
		Targets:     Replicas,
		Build: constant(perReplica(func(w *topology.World, r *topology.Replica) func() {
			if state.Of(w) == nil {
				return func() {}
			}
			return state.Of(w).FailPods(r)
		})),
	},
	{
		Name:        "control-plane-partition",
		Description: "the targets are cut from the control plane: channels (config, flags, routing configs pushed to edges and sidecars) keep their last known good values and reconnect with backoff after, lease and API calls fail, reports and audit entries are lost",
		Source:      "D-F6 split brain, E-F9 control-plane partition / split brain",
		Targets:     Nodes,
		Build:       constant(perNode(func(s *state.State, n *state.Node) func() { return s.Cut(n) })),
	},
	{
		Name:        "telemetry-gap",
		Description: "the control plane stops hearing from the target replicas (a collector outage): their drift is not observed, reports are missing",
		Source:      "D-F4 telemetry gap, E-F4 telemetry loss",
		Targets:     Replicas,
		Build: constant(perReplica(func(w *topology.World, r *topology.Replica) func() {
			if state.Of(w) == nil {
				return func() {}
			}
			return state.Of(w).Gap(state.Of(w).NodeOf(r))
		})),
	},
	{
		Name:        "clock-drift",
		Description: "the targets' clocks run at rate (timers, lease expiry and deadlines measured on them stretch or shrink); the offset gained stays",
		Source:      "clock drift on a node (D leases: client-go tolerates a rate ratio up to about LeaseDuration/RenewDeadline = 1.5)",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "rate", Kind: sim.Float, Default: 1.5, Min: sim.Bound(0.01), Max: sim.Bound(100), Description: "local seconds per real second (1.5: 50% fast; 0.5: half speed)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			rate := p.Float("rate")
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				if state.Of(w) == nil {
					return func() {}
				}
				return state.Of(w).DriftClock(state.Of(w).NodeOf(r), rate)
			}), nil
		},
	},
	{
		Name:        "clock-jump",
		Description: "the targets' wall clocks jump: bump steps them by delta for the window; strobe steps them forward and back every period (monotonic clocks are untouched)",
		Source:      "clock jump on a node; Jepsen nemesis/time.clj bump and strobe",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "shape", Kind: sim.Enum, Default: "bump", Choices: []string{"bump", "strobe"}, Description: "bump: one step at the start, reset at the end; strobe: alternate steps"},
			{Name: "delta", Kind: sim.Duration, Unit: "duration", Default: sim.Minute, Description: "the step (negative: backwards); Jepsen draws ±1.5^(6..31) ms"},
			{Name: "period", Kind: sim.Duration, Unit: "duration", Default: sim.Second, Min: sim.Bound(0.000001), Description: "strobe: time between steps (Jepsen 1 ms..1 s)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			delta, period := p.Duration("delta"), p.Duration("period")
			if p.String("shape") == "strobe" {
				return &clockStrobe{delta: delta, period: period}, nil
			}
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				if state.Of(w) == nil {
					return func() {}
				}
				return state.Of(w).JumpClock(state.Of(w).NodeOf(r), delta)
			}), nil
		},
	},
}

func keyParam(desc string) sim.Param {
	return sim.Param{Name: "key", Kind: sim.String, Default: "", Description: desc}
}

// perNode applies a state seam to each target node and reverts them together.
func perNode(apply func(s *state.State, n *state.Node) (revert func())) Injector {
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		if state.Of(w) == nil {
			return func() {}
		}
		reverts := make([]func(), 0, len(t.Nodes))
		for _, n := range t.Nodes {
			reverts = append(reverts, apply(state.Of(w), n))
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	})
}

// perKey applies a state seam to each target node and each key it holds
// that is named (or, with name empty, that matches).
func perKey(name string, match func(*state.Key) bool, apply func(s *state.State, n *state.Node, k *state.Key) func()) Injector {
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		if state.Of(w) == nil {
			return func() {}
		}
		var reverts []func()
		for _, n := range t.Nodes {
			for _, k := range state.Of(w).Keys {
				if (name == "" && match(k)) || k.Name == name {
					reverts = append(reverts, apply(state.Of(w), n, k))
				}
			}
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	})
}
