package routectl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// A decision engine turns an Observation (one Reading per target, with its
// age) into weights. This one sends all traffic to the target with the
// fewest requests in flight when it measured them; a central controller
// runs it every 10 s and pushes its decisions to the sidecars. Sending
// everything to the least loaded target herds: the weights flap.
func Example_decisionEngine() {
	leastLoaded := routectl.EngineFunc(func(o *routectl.Observation, d *routectl.Decision) {
		best := 0
		for i, r := range o.Targets {
			if r.Signals[routectl.SigLoad] < o.Targets[best].Signals[routectl.SigLoad] {
				best = i
			}
		}
		for i := range d.Weights {
			d.Weights[i] = 0
		}
		d.Weights[best] = 1
		d.Uses = 1 << routectl.SigLoad
	})
	w, err := topology.New(topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 3, Concurrency: 2, QueueCapacity: 20, ServiceTime: sim.Exponential{M: 0.05}}},
		Clients:  []topology.ClientSpec{{Name: "users", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 30}}, Callers: 2}},
		Bus:      topology.BusSpec{Interval: sim.Second},
	}, topology.Routing{Caller: firstHealthy}, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := state.New(w, state.Spec{Routes: true, Control: state.ControlPlaneSpec{Service: -1}}); err != nil {
		fmt.Println(err)
		return
	}
	plane, err := routectl.New(w)
	if err != nil {
		fmt.Println(err)
		return
	}
	plane.Configure(&routectl.Control{Pattern: routectl.PatternCentral, Scope: routectl.ScopeSidecar, Interval: 10 * sim.Second,
		Engine: func(*rand.Rand) routectl.Engine { return leastLoaded }})
	w.Start(35 * sim.Second)
	w.Eng.Run(35 * sim.Second)
	for _, e := range plane.Audit() {
		fmt.Println(e.At, e.Scope, e.Decision, e.Outcome)
	}
	// Output:
	// 6.799850947s users/sidecars api-0=0.000 api-1=1.000 api-2=0.000 pushed v2
	// 16.799850947s users/sidecars api-0=1.000 api-1=0.000 api-2=0.000 pushed v3
	// 26.799850947s users/sidecars api-0=0.000 api-1=1.000 api-2=0.000 pushed v4
}

// firstHealthy routes to the first healthy host the weights leave in view.
func firstHealthy(*rand.Rand) topology.Picker {
	return topology.PickerFunc(func(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
		for i := range eps.Len() {
			if eps.Healthy(i) && eps.Weight(i) > 0 {
				return i
			}
		}
		return -1
	})
}
