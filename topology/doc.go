// Package topology is tangle's world model: places and the network between
// them, clients with arrival processes, services with replicas, the caller
// sidecars and edges that route requests, and the signal bus that carries
// aged load measurements to the deciders.
//
// A request's life, each step an engine event:
//
//	client.arrive ─▶ edge picks a cluster ─▶ caller sidecar picks a replica
//	   ─(link latency)─▶ replica: serve, queue, or reject
//	   ─(service time)─▶ response ─(link latency)─▶ caller: record the outcome
//	client timeout ─▶ the request ends as a timeout; the replica keeps working
//
// Every request ends exactly once (success, error, timeout, rejected or
// dropped) and the world's Observer hears about it at that moment. Routing
// decisions go through the Picker plug point; strategies implement it.
//
//	w, _ := topology.New(spec, routing, seed)
//	w.Observe(collector)
//	w.Start(horizon)
//	w.Eng.Run(horizon)
//	w.Drain(limit)
//
// # Autoscaling
//
// A service's Replicas are a fixed pool: World.SetProvisioned takes a
// replica out of the endpoints (no picker sees it, the panic threshold and
// Service.Up leave it out, faults do not target it) and puts it back.
// World.Autoscale runs an Autoscaler (strategies: hpa, kpa, fixed) every
// sync on per-pod utilisation and in-flight averages; a new pod is ready
// ScaleConfig.ReadyAfter after its creation and starts cold (World.Warm);
// a pod scaled down drains its work, and what is left after the
// termination grace is lost.
//
// # Layers
//
// The world is the core; models of other parts of a system are layers in
// packages of their own (topology/state: desired vs actual state, the data
// layer and the routing control plane) that attach to a world with
// World.Attach and hear it only through the hooks of layer.go: Start,
// Arrived, Sent, Served, Finished, Answered, Responded, and
// OnStateChange for replica crashes and pauses. A layer keeps its
// per-request, per-attempt and per-caller data in its own tables indexed
// by the core's dense IDs (Ref.Slot, Caller.ID, Replica.ID), schedules its
// own work on World.Eng, and never changes the core's structs. This
// package imports none of its layers.
package topology
