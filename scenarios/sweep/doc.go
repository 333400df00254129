// Package sweep runs a scenario over a grid of parameter values × seeds:
// planning the cells, running them in parallel, persisting each in a
// directory as it completes (so a rerun resumes), sharding the cells over
// machines and merging the shards' directories. `tangle sweep` and
// `tangle merge` are thin layers over it.
//
// The main use, from Go:
//
//	pl, err := sweep.NewPlan(sweep.Spec{
//		Arg:    "my.yaml",
//		Params: []string{"topology.telemetry.interval=1s,5s,10s"},
//	})
//	// handle err
//	doc, err := sweep.Run(ctx, pl, "sweep-out/", sweep.Options{})
//	// handle err
//	err = reports.Rank(doc, objective, constraints)
//
// A plan fixes everything that determines the cells' results: the
// scenario's bytes and overrides, the swept values, the strategies, the
// seed and the replications. Every cell is stored with a hash of its
// configuration; resuming or merging checks every cell against the plan,
// so results of another sweep are never presented as this one's.
package sweep
