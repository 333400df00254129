// Package state is the desired-vs-actual state model of a tangle world, a
// layer on the topology core (see topology.Layer). state.New builds it from
// a Spec and attaches it to a world; state.Of finds it again.
//
//	w, _ := topology.New(spec, routing, seed)
//	st, _ := state.New(w, state.Spec{Keys: …, Changes: …, Control: …})
//	st.Configure(state.Control{Elector: …, Reconciler: …, Rollout: …})
//	w.Start(horizon)
//
// The model holds:
//
//   - a desired store: per key (a service's software version, config
//     resources, feature flags) the desired version now and its history,
//     so any request can be judged against the desired state at its
//     arrival (Key.DesiredAt);
//   - the actual state on every node (Node): replicas, control-plane
//     members, and callers' SDKs for flags evaluated client-side. Each has
//     a place, the up/down/paused state of its replica, a modelled clock
//     (Clock: monotonic and wall readings derived from virtual time, with
//     drift rates and steps) and a Value per key it holds;
//   - channels that propagate desired changes to holders (propagation.go:
//     xDS-like push with debounce, ACK/NACK and last known good; polling;
//     streaming with reconnect backoff);
//   - a store (the API server: the lease, controller-written objects, and
//     its view of every node from reports and notifications, which
//     telemetry gaps and partitions interrupt) and members running the
//     strategy side — an Elector, a Reconciler and a Rollout per service,
//     each a step machine fed events and returning actions (control.go,
//     rollout.go). Writes carry the leader's fencing token.
//
// Work runs as tasks owned by a node's process (process.go): a paused
// process runs what came due when it resumes, in order; a crashed one loses
// it. Responses are stamped with the state that served them (State.ServedBy), and
// StateObserver hears divergence, observed divergence, leadership and
// convergence for metrics.
//
// # Layers on the state model
//
// The data layer (topology/data) and the routing control plane are layers
// on the state model: they declare their own kinds of process work
// (NewWork), hear crashes and boots (OnProcess) and start with it
// (OnStart); the data layer also gives it its schemas (SetSchemas).
//
// # Routing control plane
//
// With Spec.Routes the model also carries entanglement
// routing's control plane (decide.go, routectl.go), as the seed document
// draws it: sensors → signal bus → decision engines → policy layer →
// actuators → observability and audit.
//
//   - Sensors: every bus measurement of a replica carries in-flight,
//     utilisation, rates, a latency EWMA, the error rate and health, and
//     its region's price (as signalled and as billed), threat score and
//     replication lag (topology/sensors.go; a data layer feeds the lag sensor with
//     Bus.FeedLag). Signal faults act on all of them.
//
//   - Decision engines (Engine) run on actors — control-plane members, the
//     implicit controller, sidecars, edges — per the Pattern, every
//     Interval ± Jitter, on an Observation of the targets (regions for an
//     edge, replicas for sidecars) with each reading's age and the
//     clients' own view; they return a Decision as data.
//
//   - The Policy layer filters it; the Actuator applies it after its delay
//     and rate limit: locally (sidecar, hierarchical local loops), or as a
//     fenced write to the store, which versions it and pushes it on the
//     scope's route key (KeyKind Route) to the holders' caller SDK and
//     edge nodes over the key's channel: unevenly, lost to partitions,
//     holders keeping their last config. Views expose the weights through
//     Endpoints.Weight (0 excludes a host) and bump Generation.
//
//   - Every decision leaves an AuditEntry (State.Audit); RouteObserver and
//     RouteStats feed the metrics; the emergency Breaker halts automation.
//
//     st, _ := state.New(w, state.Spec{Routes: true})
//     st.Configure(state.Control{Route: &state.RouteControl{Pattern: state.PatternCentral, Scope: state.ScopeEdge, Engine: eng, Interval: 10 * sim.Second}})
package state
