package topology_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// An edge gateway with one slot and a queue of one in front of a service
// taking 10 s: of four requests a second apart, the first holds the slot
// while the service works, the second waits, and the edge refuses the
// other two at once. The edge is the service numbered after the declared
// ones, so the client names index 1.
func ExampleEdgeSpec() {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "app", Replicas: 1, Concurrency: 100, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 10}}},
		Edges:    []topology.EdgeSpec{{Name: "gw", Target: 0, Replicas: 1, Concurrency: 1, QueueCapacity: 1, Timeout: 15 * sim.Second}},
		Clients:  []topology.ClientSpec{{Name: "users", Service: 1, Arrival: topology.Constant, Rate: topology.RateProfile{{Rate: 1}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := outcomes{}
	w.Observe(seen)
	w.Start(4500 * sim.Millisecond)
	w.Eng.Run(sim.Hour)
	w.Drain(sim.Hour)
	fmt.Println("edge:", w.EdgeNodes()[0].Name, "hop:", w.CallEdges()[0].Client.Name)
	fmt.Println("success:", seen[topology.Success], "rejected:", seen[topology.Rejected])
	// Output:
	// edge: gw hop: gw->app
	// success: 2 rejected: 2
}
