package topology_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// lastRequest keeps the last request that ended.
type lastRequest struct{ r topology.Request }

func (l *lastRequest) RequestEnded(_ sim.Time, r *topology.Request) { l.r = *r }

// A caller hedges with a HedgePolicy beside its RetryPolicy: Envoy's
// hedge_on_per_try_timeout keeps an attempt whose per-try timeout fires
// and sends a retry alongside it. One request at 1 s to a replica slowed
// to 10 s: its per-try timeout fires at 1.1 s, the hedge goes to the
// other replica and answers at 1.2 s; the slow attempt runs on unheard.
func ExampleHedgePolicy() {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 2, Concurrency: 10, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1}},
	}
	routing := topology.Routing{
		Caller: topologytest.RoundRobin,
		Retry:  topology.RetryPolicy{Attempts: 2, On: topology.RetryErrors, PerTryTimeout: 100 * sim.Millisecond, Backoff: topology.BackoffFixed},
		Hedge:  topology.HedgePolicy{Mode: topology.HedgeOnPerTryTimeout},
	}
	w, err := topology.New(spec, routing, 1)
	if err != nil {
		panic(err)
	}
	w.Degrade(w.Replicas[0], topology.Degradation{Slowdown: 100})
	last := &lastRequest{}
	w.Observe(last)
	w.Start(1500 * sim.Millisecond)
	w.Eng.Run(sim.Minute)
	r := last.r
	fmt.Printf("%v at %v after %d attempts, %d hedge, answered by attempt %d\n", r.Outcome, r.Ended, r.Attempts(), r.Hedges(), r.Won())
	fmt.Printf("wasted on the slow replica: %.1f s\n", w.Replicas[0].Wasted)
	// Output:
	// success at 1.2s after 2 attempts, 1 hedge, answered by attempt 2
	// wasted on the slow replica: 10.0 s
}
