package sim

import (
	"slices"
	"testing"
)

// TestLaneCompaction: a lane whose waiting events are mostly cancelled
// drops them (and frees their slots), and the live ones still run, in
// order, with Pending counting exactly them.
func TestLaneCompaction(t *testing.T) {
	old := laneCompactMin
	laneCompactMin = 8
	defer func() { laneCompactMin = old }()
	e := NewEngine()
	var ran []uint64
	k := e.Handle("t", func(arg uint64) { ran = append(ran, arg) })
	l := e.NewLane(Default)
	ids := make([]EventID, 200)
	for i := range ids {
		ids[i] = e.AtLane(l, Time(10+i/3), Default, k, uint64(i))
	}
	var want []uint64
	for i := range ids {
		if i%5 != 0 {
			if !e.Cancel(ids[i]) {
				t.Fatalf("event %d was not pending", i)
			}
		} else {
			want = append(want, uint64(i))
		}
	}
	if got := e.Pending(); got != len(want) {
		t.Fatalf("Pending() = %d, want %d", got, len(want))
	}
	if n := len(e.lanes[0].q) - e.lanes[0].head; n >= 100 {
		t.Fatalf("the lane still holds %d events after 160 of 200 were cancelled", n)
	}
	e.Run(Never - 1)
	if !slices.Equal(ran, want) {
		t.Fatalf("ran %v\nwant %v", ran, want)
	}
	if e.Pending() != 0 || len(e.slots) != len(e.free) {
		t.Fatalf("after the run: Pending %d, %d slots of which %d free", e.Pending(), len(e.slots), len(e.free))
	}
}

// TestLazyLaneCompaction: a lazy lane whose owners mostly end keeps about
// its live events (it compacts at twice what it last kept), takes a slot
// only for the event in the heap, and Pending counts only the live ones.
func TestLazyLaneCompaction(t *testing.T) {
	old := lazyCompactMin
	lazyCompactMin = 8
	defer func() { lazyCompactMin = old }()
	e := NewEngine()
	ended := map[uint64]bool{}
	var ran []uint64
	k := e.Handle("t", func(arg uint64) { ran = append(ran, arg) })
	l := e.NewLazyLane(Default, k, func(arg uint64) bool { return !ended[arg] })
	var want []uint64
	for i := uint64(0); i < 2000; i++ {
		e.AtLane(l, Time(10+i), Default, k, i)
		if i > 0 && i%10 != 0 {
			ended[i] = true // its owner ended before the next was scheduled
		} else {
			want = append(want, i)
		}
		if n := len(e.lanes[0].lq) - e.lanes[0].head; n > 2*len(want)+lazyCompactMin {
			t.Fatalf("after %d events the lane holds %d waiting, %d live", i+1, n, len(want))
		}
	}
	if len(e.slots) != 1 {
		t.Fatalf("%d slots taken; a lazy lane takes one, for its event in the heap", len(e.slots))
	}
	if got := e.Pending(); got != len(want) {
		t.Fatalf("Pending() = %d, want %d", got, len(want))
	}
	e.Run(Never - 1)
	if !slices.Equal(ran, want) {
		t.Fatalf("ran %v\nwant %v", ran, want)
	}
	if e.Pending() != 0 {
		t.Fatalf("after the run: Pending %d", e.Pending())
	}
}
