// Package strategies holds the routing, decision, reconciliation, election
// and rollout strategies tangle compares. Each strategy named after a real
// system follows that system's documented algorithm and defaults and cites
// its source in its doc comment.
//
// Strategies are pure with respect to the engine: a picker receives the
// time and a view of the hosts and returns its choice; it never schedules
// events or reaches into the world.
//
// The control-plane strategies (reconcilers, electors, rollouts: control.go)
// are step machines in the same spirit: topology feeds them events with the
// leader's local clock and applies the actions they return.
//
//	def, _ := strategies.LookupRouting("round-robin")
//	newPicker, err := def.Build(def.Params.Defaults())
//	w, err := topology.New(spec, topology.Routing{Caller: newPicker}, seed)
//
// The routings, one family per file: round-robin and random (basic.go),
// weighted-round-robin (wrr.go, Envoy's EDF scheduler in edf.go),
// least-request and shortest-queue (leastrequest.go), peak-ewma
// (peakewma.go), ring-hash and maglev (hash.go), locality (locality.go:
// Envoy's priority levels, locality weighting and panic threshold), and
// grpc-wrr (grpcwrr.go, gRFC A58); slow start (slowstart.go) applies to
// the round robins and least-request. Pickers cache what they derive from
// the host set per set and rebuild it when its Generation changes
// (view.go); picks do not allocate.
//
// Routing decision engines (routectl.Engine, registry in engines.go) turn
// an observation of signals into weights: the multi-signal scoring engine
// with its mitigations and Holt's forecaster (scoring.go), the static,
// nearest, warm-registry and burst engines (engines.go); the policy layer
// composes rules from several sources by precedence (policy.go); Flagger,
// Argo Rollouts canary and blue/green are rollouts that split traffic
// through the routing control plane (canary.go).
//
//	def, _ := strategies.LookupEngine("scoring")
//	eng, err := def.Build(def.Params.Defaults())
//	routectl.Of(w).Configure(&routectl.Control{Engine: eng, Interval: 10 * sim.Second})
package strategies
