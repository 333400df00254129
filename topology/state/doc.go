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
// The data layer (topology/data) and the routing control plane
// (topology/routectl) are layers on the state model: they declare their
// own kinds of process work (NewWork), hear crashes and boots (OnProcess)
// and start with it (OnStart, OnStarted); the data layer gives it its
// schemas (SetSchemas), the routing control plane owns the route keys
// (Own, RouteKeys) and splits rollouts' traffic (TrafficSplitter).
package state
