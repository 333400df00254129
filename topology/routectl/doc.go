// Package routectl is entanglement routing's control plane, a layer on a
// tangle world and its state model, as the seed document draws it:
// sensors → signal bus → decision engines → policy layer → actuators →
// observability and audit. routectl.New attaches it to a world whose
// state model holds route keys (state.Spec.Routes); Of finds it.
//
//	w, _ := topology.New(spec, routing, seed)
//	state.New(w, state.Spec{Routes: true, …})
//	plane, _ := routectl.New(w)
//	plane.Configure(&routectl.Control{Pattern: routectl.PatternCentral, Scope: routectl.ScopeEdge, Engine: eng, Interval: 10 * sim.Second})
//	w.Start(horizon)
//
// Example_decisionEngine writes and runs an engine. The pieces (decide.go:
// the plug points; routectl.go, routeloop.go, routeaudit.go,
// routebreach.go: the run time; routeseams.go: the seams faults and
// metrics use):
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
//   - Every decision leaves an AuditEntry (Plane.Audit); Observer and
//     Stats feed the metrics; the emergency Breaker halts automation.
package routectl
