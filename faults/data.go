package faults

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/state"
)

// dataFaults break the data layer: replicas that fall behind, schemas
// that do not reach every replica, caches that miss invalidations. Crash,
// pause and partition act on data replicas through the usual seams (a
// crash loses a replica's queued mutations; a partition loses the
// messages of quorums, replication, hints and anti-entropy). They do
// nothing in a world without a datastore.
var dataFaults = []*Def{
	{
		Name: "replica-lag",
		Description: "the target data replicas fall behind: every mutation waits delay longer before it joins the apply queue, and with apply_time > 0 each takes that long to apply, " +
			"so the replication backlog grows whenever writes arrive faster than 1/apply_time",
		Source:  "D-F1 replica lag / replication backlog",
		Targets: Replicas,
		Params: sim.ParamSet{
			{Name: "delay", Kind: sim.Duration, Unit: "duration", Default: sim.Second, Min: sim.Bound(0), Description: "extra replication delay per mutation (a slow network path, a delayed replica)"},
			{Name: "apply_time", Kind: sim.Duration, Unit: "duration", Default: sim.Time(0), Min: sim.Bound(0), Description: "time to apply one mutation while the fault holds (a slow disk, a long query holding the apply thread); 0 leaves it unchanged"},
		},
		Build: func(p sim.Params) (Injector, error) {
			delay, apply := p.Duration("delay"), p.Duration("apply_time")
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				d, ok := data.Of(w)
				if !ok {
					return func() {}
				}
				return d.LagData(r, delay, apply)
			}), nil
		},
	},
	{
		Name:        "schema-mismatch",
		Description: "the target data replicas keep their schema: migrations (channel deliveries and controllers' writes of the schema key) do not reach them, so schema versions are mixed across the datastore; version > 0 first sets it (a replica restored from an old backup)",
		Source:      "D-F7 schema mismatch",
		Targets:     Nodes,
		Params: sim.ParamSet{
			keyParam("the schema key; empty: every schema key"),
			{Name: "version", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0), Description: "the schema version to hold the targets at; 0 keeps what they have"},
		},
		Build: func(p sim.Params) (Injector, error) {
			v := state.Version(p.Int("version"))
			return perKey(p.String("key"), func(k *state.Key) bool { return k.Kind == state.Schema },
				func(s *state.State, n *state.Node, k *state.Key) func() { return s.Pin(n, k, v) }), nil
		},
	},
	{
		Name:        "cache-invalidation-loss",
		Description: "cache invalidations reaching the target replicas' caches are lost with probability loss (a broken purge pipeline): they serve what they cached until its TTL runs out",
		Source:      "seed D, what breaks #2: cache invalidation lag shows stale prices during a sale (scenario #4)",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "loss", Kind: sim.Ratio, Default: 1.0, Description: "probability each invalidation is lost"},
		},
		Build: func(p sim.Params) (Injector, error) {
			loss := p.Float("loss")
			return perReplica(func(w *topology.World, r *topology.Replica) func() {
				d, ok := data.Of(w)
				if !ok {
					return func() {}
				}
				return d.LoseInvalidations(r, loss)
			}), nil
		},
	},
}
