package faults

import (
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// TestStrobeReturnsTheClock: Jepsen's strobe steps the wall clock forward
// and back every period while the fault holds and leaves it where it was;
// the monotonic clock never moves.
func TestStrobeReturnsTheClock(t *testing.T) {
	w := world(t)
	st, err := state.New(w, state.Spec{Control: state.ControlPlaneSpec{Service: -1}})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Lookup("clock-jump")
	sched := Schedule{{Def: def, Target: Selector{Names: []string{"api-0"}}, Start: 10 * sim.Second, Duration: 4200 * sim.Millisecond,
		Params: sim.Params{"shape": "strobe", "delta": 5 * sim.Second, "period": sim.Second}}}
	if _, err := sched.Install(w); err != nil {
		t.Fatal(err)
	}
	n := st.NodeOf(w.Replicas[0])
	var offsets []sim.Time
	probe := w.Eng.Handle("probe", func(uint64) { offsets = append(offsets, n.Clock.Offset(w.Eng.Now())) })
	for _, ts := range []sim.Time{10500, 11500, 12500, 13500} {
		w.Eng.At(ts*sim.Millisecond, topology.ClassObserve, probe, 0)
	}
	w.Start(20 * sim.Second)
	w.Eng.Run(20 * sim.Second)
	if want := []sim.Time{5 * sim.Second, 0, 5 * sim.Second, 0}; !slices.Equal(offsets, want) {
		t.Fatalf("offsets %v, want %v", offsets, want)
	}
	if off := n.Clock.Offset(20 * sim.Second); off != 0 || n.Clock.Mono(20*sim.Second) != 20*sim.Second {
		t.Fatalf("after the strobe: offset %v mono %v, want 0 and untouched", off, n.Clock.Mono(20*sim.Second))
	}
}
