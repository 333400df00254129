package topology_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// onDemand is an Autoscaler that scales to zero (a ZeroScaler): one pod
// while requests are in flight or wait at the activator, none otherwise.
type onDemand struct{}

func (onDemand) Interval() sim.Time { return sim.Second }
func (onDemand) ScaleToZero() bool  { return true }

func (onDemand) Scale(v *topology.ScaleView) int {
	demand := float64(v.Buffered)
	for _, p := range v.Pods {
		demand += p.InFlight
	}
	if demand > 0 {
		return 1
	}
	return 0
}

// latencies prints each request's latency.
type latencies struct{}

func (latencies) RequestEnded(_ sim.Time, r *topology.Request) {
	fmt.Printf("request at %v: %v after %v\n", r.Arrived, r.Outcome, r.Latency())
}

func Example_scaleToZero() {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "fn", Replicas: 1, Concurrency: 4, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.1}}},
		// Three requests, 0.5 s apart, 30 s into the run.
		Clients: []topology.ClientSpec{{Name: "users", Service: 0, Arrival: topology.Constant, Callers: 1, Rate: topology.RateProfile{
			{At: 0, Rate: 0}, {At: 29500 * sim.Millisecond, Rate: 0}, {At: 29500 * sim.Millisecond, Rate: 2}, {At: 31 * sim.Second, Rate: 2}, {At: 31 * sim.Second, Rate: 0}}}},
	}
	w, _ := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	// The pod starts idle and goes; requests for fn at zero wait at the
	// activator until a new pod is ready, 3 s after the first one pokes
	// the autoscaler.
	_ = w.Autoscale(w.Services[0], onDemand{}, 1, topology.ScaleConfig{ReadyAfter: 3 * sim.Second})
	w.Observe(latencies{})
	topologytest.At(w, 10*sim.Second, func() { fmt.Printf("10s: %d ready\n", w.Services[0].Provisioned) })
	w.Start(40 * sim.Second)
	w.Eng.Run(40 * sim.Second)
	w.Drain(sim.Minute)
	held, _ := w.ActivatorRequests(w.Services[0])
	fmt.Printf("held at the activator: %d\n", held)
	// Output:
	// 10s: 0 ready
	// request at 30s: success after 3.1s
	// request at 30.5s: success after 2.6s
	// request at 31s: success after 2.1s
	// held at the activator: 3
}
