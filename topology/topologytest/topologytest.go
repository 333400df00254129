// Package topologytest has small helpers for tests of worlds and of the
// layers that attach to them, in the style of net/http/httptest.
//
//	w, _ := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin}, seed)
//	topologytest.At(w, 10*sim.Second, func() { w.Crash(w.Replicas[0]) })
package topologytest

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// At runs fn at time t on w's engine, in the class faults use.
func At(w *topology.World, t sim.Time, fn func()) {
	k := w.Eng.Handle("test", func(uint64) { fn() })
	w.Eng.At(t, topology.ClassFault, k, 0)
}

// RoundRobin is a picker factory choosing the healthy hosts in turn: just
// enough routing for tests of other parts of the world.
func RoundRobin(*rand.Rand) topology.Picker {
	next := 0
	return topology.PickerFunc(func(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
		n := eps.Len()
		for k := 0; k < n; k++ {
			i := (next + k) % n
			if eps.Healthy(i) {
				next = i + 1
				return i
			}
		}
		return -1
	})
}
