package topology

import (
	"fmt"
	"maps"
	"slices"

	"github.com/tangle-sim/tangle/sim"
)

// Edge gateways as capacity nodes. A declared edge (Spec.Edges) is an
// ingress proxy with a bounded number of requests in progress and a queue
// in front of them: its clients send to it, and it forwards each request
// to its target service with its own route timeout and retry policy. It is
// built as a service of its own (Service.Edge), with one call to its
// target, so everything a service has it has too: replicas that crash,
// pause, slow down or fail (faults name it), a sidecar per instance toward
// the target (the strategy's picker and guards, the edge's retries), and
// the graph's bookkeeping (every request ends once, per hop).
//
// What is modelled of Envoy's overload behaviour: Concurrency is the
// number of downstream requests an instance has in progress (for an edge
// with one upstream, the cluster circuit breaker's max_requests, 1024 by
// default, caps it; the overload manager's stop_accepting_requests action
// or max_active_downstream_connections cap the same thing); a request
// holds its slot until the upstream answers (the downstream stream stays
// open), so a slow upstream fills the edge. Requests beyond it wait in a
// FIFO queue (the listener's accept backlog and pending streams) and, once
// QueueCapacity are waiting, are refused at once: the client sees a
// rejection (Outcome Rejected, cause queue_full), Envoy's local 503 reply
// with x-envoy-overloaded. Load shedding by a rate (429 from a local rate
// limit) is not modelled. The client → edge hop makes no retries and has
// no guards (users' clients are not in the mesh); the edge → target hop
// has the edge's own retries and route timeout.
//
// A world without edges builds exactly as before: no service, caller or
// random stream is added.

// EdgeSpec describes an edge gateway. The edge becomes the service of
// index len(Spec.Services)+k for the k-th edge: clients entering through
// it name that index as their Service.
type EdgeSpec struct {
	Name   string
	Target int // the service it forwards to: index into Spec.Services
	// Places the instances run in, round robin; empty means place 0.
	Places        []PlaceID
	Replicas      int      // instances, ≥ 1
	Concurrency   int      // requests in progress per instance (held until the upstream answers), ≥ 1
	QueueCapacity int      // waiting requests per instance: Unbounded, or ≥ 0 (0: refuse when all slots are busy)
	ServiceTime   sim.Dist // the edge's own processing per request; nil means none
	// Timeout is the route timeout: how long the edge waits for the
	// target, all its retries included (Envoy's route timeout, default
	// 15 s; 0 means none).
	Timeout sim.Time
	// Retry is the edge's retry policy toward the target; nil means no
	// retries (Envoy's route default: no retry policy).
	Retry *RetryPolicy
}

// Validate reports the first impossible value in e.
func (e EdgeSpec) Validate() error {
	switch {
	case e.Name == "":
		return fmt.Errorf("edge has no name")
	case e.Replicas < 1:
		return fmt.Errorf("edge %s: replicas must be at least 1, got %d", e.Name, e.Replicas)
	case e.Concurrency < 1:
		return fmt.Errorf("edge %s: concurrency must be at least 1, got %d", e.Name, e.Concurrency)
	case e.QueueCapacity < Unbounded:
		return fmt.Errorf("edge %s: queue capacity must be unbounded or ≥ 0, got %d", e.Name, e.QueueCapacity)
	case e.Timeout < 0:
		return fmt.Errorf("edge %s: timeout must not be negative", e.Name)
	}
	if e.Retry != nil {
		if err := e.Retry.Validate(); err != nil {
			return fmt.Errorf("edge %s: %w", e.Name, err)
		}
	}
	return nil
}

// service is the service that stands for the edge.
func (e EdgeSpec) service() ServiceSpec {
	st := e.ServiceTime
	if st == nil {
		st = sim.Constant{}
	}
	return ServiceSpec{
		Name: e.Name, Replicas: e.Replicas, Concurrency: e.Concurrency, QueueCapacity: e.QueueCapacity,
		ServiceTime: st, Places: e.Places,
		Calls: []Step{{{Service: e.Target, Timeout: e.Timeout, pass: true}}},
	}
}

// withEdges returns spec with its edges appended to its services (spec's
// own slices are not changed), and routing with the edges' hops: the
// client → edge hop without retries or guards, the edge → target hop with
// the edge's retries over the target's routing (a strategy's own override
// of an edge's hop, keyed by its name or EDGE->TARGET, wins).
func withEdges(spec Spec, routing Routing) (Spec, Routing, error) {
	if len(spec.Edges) == 0 {
		return spec, routing, nil
	}
	names := map[string]bool{}
	for _, s := range spec.Services {
		names[s.Name] = true
	}
	spec.Services = slices.Clip(spec.Services)
	per := maps.Clone(routing.PerService)
	if per == nil {
		per = map[string]ServiceRouting{}
	}
	for _, e := range spec.Edges {
		if err := e.Validate(); err != nil {
			return spec, routing, err
		}
		if names[e.Name] {
			return spec, routing, fmt.Errorf("edge %s: a service or edge has that name already", e.Name)
		}
		names[e.Name] = true
		if e.Target < 0 || e.Target >= len(spec.Services) {
			return spec, routing, fmt.Errorf("edge %s: unknown target service %d", e.Name, e.Target)
		}
		target := spec.Services[e.Target].Name
		spec.Services = append(spec.Services, e.service())
		if _, ok := per[e.Name]; !ok {
			per[e.Name] = ServiceRouting{Retry: &RetryPolicy{Attempts: 1}, Guards: []NewGuard{}}
		}
		hop := e.Name + "->" + target
		o, ok := per[hop] // a strategy's override of the edge's hop wins
		if !ok {
			o = per[target] // else the target's routing, if a strategy overrides it
			o.Retry = nil
		}
		if o.Retry == nil {
			o.Retry = e.Retry
		}
		if o.Retry == nil {
			o.Retry = &RetryPolicy{Attempts: 1}
		}
		per[hop] = o
	}
	routing.PerService = per
	return spec, routing, nil
}

// markEdges flags the services that stand for edges (the last
// len(spec.Edges) of them).
func (w *World) markEdges(spec Spec) {
	for k := range spec.Edges {
		w.Services[len(w.Services)-len(spec.Edges)+k].Edge = true
	}
}

// EdgeNodes lists the services that stand for declared edge gateways, in
// declaration order.
func (w *World) EdgeNodes() []*Service {
	var out []*Service
	for _, s := range w.Services {
		if s.Edge {
			out = append(out, s)
		}
	}
	return out
}
