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
