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
//	w, _ := topology.New(spec, seed)
//	w.Observe(collector)
//	w.Start()
//	w.Eng.Run(spec.Duration)
//	w.Drain(limit)
package topology
