// Package data is the data layer of a tangle world: a datastore whose
// replicas are state-model nodes (topology/state), on the request path of
// the world (topology.Layer). data.New builds it on a world that has a
// state model and attaches it; data.Of finds it again.
//
//	w, _ := topology.New(spec, routing, seed)
//	state.New(w, state.Spec{Keys: …, Control: …})
//	d, _ := data.New(w, data.Spec{Service: db, Mode: data.Leaderless, Keys: 1000, RF: 3, …})
//	d.Configure(data.Policy{Read: 1, Write: 1}, newRepairer)
//	w.Start(horizon)
//
// The datastore (data.go, dataop.go, datareplica.go, datarepair.go; the
// schema keys and compatibility checks are the state model's schema.go):
// the replicas of one service are data replicas, each a Node with the
// usual process semantics, holding a cell per data key (a version, the
// writer's schema, a corrupt flag) and XOR checksums over key ranges.
//
//	client ─▶ caller ─▶ app replica: service time, then its data operation
//	    ─(network)─▶ the key's replicas (primary, or N homes; sloppy: the
//	    first N live) ─▶ apply queue (lag, apply time: the backlog) ─▶ ack
//	    ─(network)─▶ coordinator: W acks / R answers, read repair, or the
//	    timeout ─▶ the response leaves, data.Served stamped
//
// A request's data operation is drawn at arrival (a client's workload:
// read/write mix, zipfian keys) and runs synchronously after its service
// time, so quorum waits and network latency are part of its latency.
// Datastore.ServedBy reports the version and schema that served it and
// whether the read was stale (older than the newest write acknowledged at
// arrival) or corrupt; data.Served.Consistent and state.Served.Consistent
// count both, so inconsistent-response accounting covers data unchanged.
// Primary-mode replicas follow the primary's log in order over a
// connection that partitions break and crashes reset; leaderless stores
// coordinate quorums (strict or sloppy) with hinted handoff and read
// repair; caches at the coordinating replicas expire by TTL and hear
// invalidations. Schemas are keys of kind Schema held by the data
// replicas, changed and reconciled like any key; a compatibility matrix
// decides what each read and write does. Anti-entropy is a Repairer per
// data replica (RepairView, RepairAction); a migration coordinator is a
// state Reconciler that caps the schema it writes (ReconcileAction.Schema,
// SchemaView). Repairs count into the state model's
// Stats.Repairs/RepairBytes, lost updates into its Stats.LostUpdates;
// Observer hears divergence, replication lag, write convergence and the
// backlog.
package data
