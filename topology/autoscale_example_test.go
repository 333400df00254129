package topology_test

import (
	"fmt"
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// utilisation is an Autoscaler that keeps the ready pods' mean busy
// fraction near a target: the plug point HPA and KPA implement.
type utilisation struct{ target float64 }

func (u utilisation) Interval() sim.Time { return 10 * sim.Second }

func (u utilisation) Scale(v *topology.ScaleView) int {
	busy := 0.0
	for _, p := range v.Pods {
		busy += p.Utilization // 0 for a pod not ready
	}
	return int(math.Ceil(busy / u.target))
}

func Example_autoscaler() {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 8, Concurrency: 1, QueueCapacity: 10, ServiceTime: sim.Constant{V: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "users", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: 30}}, Callers: 1}},
	}
	w, _ := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	// One replica of the pool of 8 is ready; new pods take 2 s to be.
	_ = w.Autoscale(w.Services[0], utilisation{target: 0.6}, 1, topology.ScaleConfig{ReadyAfter: 2 * sim.Second})
	for s := 5; s <= 45; s += 10 {
		topologytest.At(w, sim.Time(s)*sim.Second, func() { fmt.Printf("%ds: %d ready\n", s, w.Services[0].Provisioned) })
	}
	w.Start(50 * sim.Second)
	w.Eng.Run(50 * sim.Second)
	w.Drain(sim.Minute)
	// Output:
	// 5s: 1 ready
	// 15s: 2 ready
	// 25s: 4 ready
	// 35s: 6 ready
	// 45s: 6 ready
}
