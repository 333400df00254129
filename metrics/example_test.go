package metrics_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// A Recorder attached to a world streams every request's end into its
// collectors; Summary reads the canonical metrics after the run. (An M/M/1
// queue at utilisation 0.5 has a mean sojourn of 0.2 s.)
func ExampleNewRecorder() {
	w, err := topology.New(topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 1, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Exponential{M: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 5}}, Callers: 1}},
	}, topology.Routing{Caller: only}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	horizon := 10 * sim.Minute
	rec, err := metrics.NewRecorder(w, metrics.Config{Warmup: sim.Minute, Horizon: horizon})
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Start(horizon)
	w.Eng.Run(horizon)
	w.Drain(sim.Minute)
	sum := rec.Summary()
	for _, name := range []string{"requests_total", "throughput", "latency_mean"} {
		fmt.Printf("%s %.4g\n", name, sum[name])
	}
	// Output:
	// requests_total 2687
	// throughput 4.976
	// latency_mean 0.2013
}

// only routes to the single replica.
func only(*rand.Rand) topology.Picker {
	return topology.PickerFunc(func(sim.Time, topology.Endpoints, *topology.Request) int { return 0 })
}
