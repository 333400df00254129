// Package metrics measures runs: streaming collectors attached to a world
// (outcome counts, latency quantiles from a DDSketch, time-averaged
// occupancy, fixed-interval time series), the catalogue of canonical metric
// names with units and directions, and statistics across replications
// (mean and 95% Student-t confidence interval).
//
//	rec, _ := metrics.NewRecorder(w, metrics.Config{Warmup: sim.Minute, Horizon: horizon})
//	w.Start(horizon); w.Eng.Run(horizon); w.Drain(limit)
//	sum := rec.Summary()           // map of canonical name → value (SI units)
//	stat := metrics.Aggregate(xs)  // across replications
//
// ExampleNewRecorder runs this on an M/M/1 queue.
//
// A world with a state model also gets the decoherence collector
// (NewDecoherence), which adds its series columns and summary metrics to
// the recorder through Recorder.Extend; one with a routing control plane
// gets the routing control collector (NewControl: decision latency, route
// convergence, cost, audit coverage, security violations, interventions).
//
// Collectors never keep a record per request: memory is bounded by the
// sketch size and the number of series buckets, not by run length.
package metrics
