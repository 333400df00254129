package topology_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// outcomes counts how requests ended.
type outcomes map[topology.Outcome]int

func (o outcomes) RequestEnded(_ sim.Time, r *topology.Request) { o[r.Outcome]++ }

// A new picker is a function from what a decider sees to a host index:
// here, the healthy host with the lowest load, ties broken by index.
func Example_picker() {
	leastLoaded := func(*rand.Rand) topology.Picker {
		return topology.PickerFunc(func(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
			best := -1
			for i := range eps.Len() {
				if eps.Healthy(i) && (best < 0 || eps.Load(i) < eps.Load(best)) {
					best = i
				}
			}
			return best
		})
	}
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "east", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 3, Concurrency: 1, QueueCapacity: 10, ServiceTime: sim.Exponential{M: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "users", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 20}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: leastLoaded}, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	ended := outcomes{}
	w.Observe(ended)
	w.Start(sim.Minute)
	w.Eng.Run(sim.Minute)
	w.Drain(sim.Minute)
	for _, r := range w.Replicas {
		fmt.Printf("%s served %d\n", r.Name, r.Served)
	}
	fmt.Println("success:", ended[topology.Success], "rejected:", ended[topology.Rejected])
	// Output:
	// api-0 served 492
	// api-1 served 410
	// api-2 served 346
	// success: 1248 rejected: 0
}
