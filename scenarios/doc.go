// Package scenarios reads, validates and runs tangle's scenario files:
// the YAML format (documented in docs/scenario-format.md, generated from
// the struct tags in this package), its validation (every problem at
// once, each at its file:line:col with a suggestion), overrides (--set),
// building a world per strategy and replication, running them in parallel
// with common random numbers, and the built-in scenario library.
//
// The main use:
//
//	sc, err := scenarios.Open("my.yaml", overrides...) // a file or a built-in name
//	if err != nil {
//		// a scenarios.ErrorList: print it, one problem per line
//	}
//	res, err := scenarios.Run(ctx, sc, scenarios.Options{Replications: 5})
//	// res.Strategies[i].Metrics["latency_p99"].Mean, ...
//
// Run refuses, before simulating, a scenario whose estimated cost (Cost)
// exceeds its Budget; a panic inside a run comes back as an
// *InternalError naming the strategy and seed that reproduce it. Sweeps
// over parameter grids are in the sub-package sweep; rendering results
// is in package reports.
package scenarios
