package topology

// For the external benchmarks (graph_recorded_bench_test.go).
var (
	Graph20    = graph20
	RoundRobin = roundRobin
	CPUSeconds = cpuSeconds
)
