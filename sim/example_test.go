package sim_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
)

// A lazy lane holds timers whose owners usually end before they fire —
// request timeouts, say. Ending the owner is the cancellation: the lane
// asks alive when a timer comes due (or when it compacts) and drops the
// dead ones without running them, so nothing is cancelled and a waiting
// timer takes no slot in the engine. Timers keep the order At would give
// them.
func ExampleEngine_NewLazyLane() {
	e := sim.NewEngine()
	done := map[uint64]bool{} // requests that have ended
	timeout := e.Handle("timeout", func(req uint64) {
		fmt.Printf("t=%v request %d times out\n", e.Now(), req)
	})
	timeouts := e.NewLazyLane(sim.Default, timeout, func(req uint64) bool { return !done[req] })

	for req := uint64(1); req <= 4; req++ { // four requests, a 5 s timeout each
		e.AtLane(timeouts, sim.Time(req)*sim.Second+5*sim.Second, sim.Default, timeout, req)
	}
	done[2], done[3] = true, true // two end in time: their timers never run
	e.Run(sim.Never - 1)
	fmt.Println("pending:", e.Pending())
	// Output:
	// t=6s request 1 times out
	// t=9s request 4 times out
	// pending: 0
}
