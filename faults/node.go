package faults

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// nodeFaults stop replicas: crashes and process pauses.
var nodeFaults = []*Def{
	{
		Name: "crash",
		Description: "replicas crash: queued and in-service work is lost (callers see connection resets) and they refuse work until the window ends, " +
			"then restart empty — cold if cold_factor > 0 (to model a scale-up, crash the new replicas from 0s until they join); " +
			"a data replica loses the mutations it had not applied yet (a primary-mode replica re-fetches the log from its applied position), a coordinator its operations in flight and its cache",
		Source:  "crash/restart of any node (DESIGN fault catalogue); Jepsen :kill/:start",
		Targets: Replicas,
		Params: sim.ParamSet{
			{Name: "cold_factor", Kind: sim.Float, Default: 0.0, Min: sim.Bound(0), Description: "on restart, service times are multiplied by 1 + cold_factor·e^(−t/cold_tau)"},
			{Name: "cold_tau", Kind: sim.Duration, Default: 30 * sim.Second, Min: sim.Bound(0.001), Description: "warm-up time constant after the restart"},
		},
		Build: func(p sim.Params) (Injector, error) {
			f, tau := p.Float("cold_factor"), p.Duration("cold_tau")
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				restart := w.Crash(r)
				return func() {
					restart()
					if f > 0 {
						w.Warm(r, f, tau)
					}
				}
			}), nil
		},
	},
	{
		Name:        "pause",
		Description: "replicas stall (a GC pause, SIGSTOP): service stops where it is and queued work waits, then everything resumes; a data replica answers no read and applies no write meanwhile",
		Source:      "process pause (D leases; Jepsen :pause/:resume)",
		Targets:     Replicas,
		Build:       constant(perReplica((*topology.World).Pause)),
	},
}

// perReplica makes an injector that applies a composable world seam to
// each target replica and reverts them all together.
func perReplica(apply func(w *topology.World, r *topology.Replica) (revert func())) Injector {
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		reverts := make([]func(), 0, len(t.Replicas))
		for _, r := range t.Replicas {
			reverts = append(reverts, apply(w, r))
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	})
}

// constant is the Build of a kind without parameters.
func constant(inj Injector) func(sim.Params) (Injector, error) {
	return func(sim.Params) (Injector, error) { return inj, nil }
}
