package sim

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func TestSameInstantOrderedByClassThenFIFO(t *testing.T) {
	e := NewEngine()
	var got []string
	k := e.Handle("log", func(arg uint64) { got = append(got, fmt.Sprintf("c%d#%d", arg/10, arg%10)) })
	e.At(5, Last, k, 70)
	e.At(5, Default, k, 30)
	e.At(5, First, k, 0)
	e.At(5, Default, k, 31)
	e.At(5, First, k, 1)
	e.At(4, Last, k, 72)
	e.Run(10)
	want := []string{"c7#2", "c0#0", "c0#1", "c3#0", "c3#1", "c7#0"}
	if !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if e.Now() != 10 {
		t.Fatalf("Now after Run(10) = %v, want 10ns", e.Now())
	}
}

func TestCancelAndReschedule(t *testing.T) {
	e := NewEngine()
	var got []uint64
	k := e.Handle("log", func(arg uint64) { got = append(got, arg) })
	a := e.At(10, Default, k, 1)
	b := e.At(20, Default, k, 2)
	if !e.Cancel(a) {
		t.Fatal("Cancel of a pending event reported false")
	}
	if e.Cancel(a) {
		t.Fatal("second Cancel of the same event reported true")
	}
	b = e.Reschedule(b, 5, Default, k, 3)
	if e.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", e.Pending())
	}
	e.Run(100)
	if !slices.Equal(got, []uint64{3}) {
		t.Fatalf("ran %v, want [3]", got)
	}
	if e.Cancel(b) {
		t.Fatal("Cancel of an event that already ran reported true")
	}
	// A stale ID must not cancel the event that now occupies its slot.
	c := e.At(200, Default, k, 4)
	if e.Cancel(b) {
		t.Fatal("stale EventID cancelled a newer event")
	}
	e.Run(300)
	if !slices.Equal(got, []uint64{3, 4}) || c == b {
		t.Fatalf("ran %v, want [3 4]", got)
	}
}

func TestRunStopsAtUntilAndResumes(t *testing.T) {
	e := NewEngine()
	var got []Time
	var k Kind
	k = e.Handle("tick", func(uint64) {
		got = append(got, e.Now())
		e.After(10, Default, k, 0)
	})
	e.At(0, Default, k, 0)
	if n := e.Run(25); n != 3 {
		t.Fatalf("Run(25) handled %d events, want 3", n)
	}
	if e.NextAt() != 30 {
		t.Fatalf("NextAt = %v, want 30ns", e.NextAt())
	}
	e.Run(45)
	if want := []Time{0, 10, 20, 30, 40}; !slices.Equal(got, want) {
		t.Fatalf("ticks at %v, want %v", got, want)
	}
}

func TestStopAndProgress(t *testing.T) {
	e := NewEngine()
	var k Kind
	k = e.Handle("tick", func(uint64) { e.After(1, Default, k, 0) })
	e.At(0, Default, k, 0)
	calls := 0
	e.SetProgress(100, func() bool { calls++; return calls < 3 })
	e.Run(Never - 1)
	if !e.Stopped() || e.Events() != 300 || calls != 3 {
		t.Fatalf("stopped=%v events=%d calls=%d, want true 300 3", e.Stopped(), e.Events(), calls)
	}
	if e.Now() != 299 {
		t.Fatalf("Now after stop = %v, want the stopping event's time 299ns", e.Now())
	}
}

func TestSchedulingInThePastPanics(t *testing.T) {
	e := NewEngine()
	k := e.Handle("x", func(uint64) {})
	e.Run(10)
	defer func() {
		if recover() == nil {
			t.Fatal("scheduling before now did not panic")
		}
	}()
	e.At(5, Default, k, 0)
}

func TestCompactionKeepsOrder(t *testing.T) {
	e := NewEngine()
	var got []uint64
	k := e.Handle("log", func(arg uint64) { got = append(got, arg) })
	var ids []EventID
	for i := 0; i < 20000; i++ {
		ids = append(ids, e.At(Time(20000-i), Default, k, uint64(20000-i)))
	}
	for i, id := range ids {
		if i%5 != 0 {
			e.Cancel(id)
		}
	}
	if len(e.q.h) >= 20000 {
		t.Fatalf("tombstones were not compacted: heap holds %d", len(e.q.h))
	}
	e.Run(Never - 1)
	if len(got) != 4000 || !slices.IsSorted(got) {
		t.Fatalf("ran %d events, sorted=%v; want 4000 in time order", len(got), slices.IsSorted(got))
	}
}

// oracleEvent is one event in the naive model of the queue.
type oracleEvent struct {
	at        Time
	class     Class
	seq       int
	arg       uint64
	cancelled bool
	done      bool
}

// TestQueueAgainstSortedOracle drives the engine and a deliberately naive
// oracle (a slice scanned for its minimum by (time, class, scheduling
// order)) with the same random schedule/cancel/run operations, including
// equal timestamps, follow-up events scheduled from handlers and forced
// sequence renumbering, and checks they run the same events in the same
// order. Some events go through lanes (AtLane), in and out of order.
func TestQueueAgainstSortedOracle(t *testing.T) {
	for _, limit := range []uint32{1 << seqBits, 16} {
		t.Run(fmt.Sprintf("seqLimit=%d", limit), func(t *testing.T) {
			old, oldCompact, oldLazy := seqLimit, laneCompactMin, lazyCompactMin
			seqLimit, laneCompactMin, lazyCompactMin = limit, 2, 2 // lanes compact too
			defer func() { seqLimit, laneCompactMin, lazyCompactMin = old, oldCompact, oldLazy }()
			renumbers := 0
			rapid.Check(t, func(t *rapid.T) { renumbers += checkQueueAgainstOracle(t) })
			if limit < 1<<seqBits && renumbers == 0 {
				t.Fatal("the small sequence limit never forced a renumbering")
			}
		})
	}
}

// checkQueueAgainstOracle runs one random operation sequence and returns
// how many times the engine renumbered its sequence space.
func checkQueueAgainstOracle(t *rapid.T) int {
	e := NewEngine()
	var oracle []*oracleEvent
	byArg := map[uint64]*oracleEvent{}
	ids := map[uint64]EventID{}
	var got, want []uint64
	seq := 0
	nextArg := uint64(0)
	lanes := []Lane{e.NewLane(2), e.NewLane(5)}
	killed := map[uint64]bool{} // a lazy lane's events its owner has ended
	lazyArgs := map[uint64]bool{}
	var lazy Lane

	followUp := func(arg uint64) (ok bool, d Time, c Class, child uint64) {
		if arg%3 != 0 || arg > 1e12 {
			return false, 0, 0, 0
		}
		return true, Time(arg % 4), Class(arg % 8), arg*10 + 1
	}
	oracleAdd := func(at Time, c Class, arg uint64) {
		ev := &oracleEvent{at: at, class: c, seq: seq, arg: arg}
		seq++
		oracle = append(oracle, ev)
		byArg[arg] = ev
	}
	var k Kind
	k = e.Handle("log", func(arg uint64) {
		got = append(got, arg)
		if ok, d, c, child := followUp(arg); ok {
			ids[child] = e.After(d, c, k, child)
		}
	})
	lazy = e.NewLazyLane(4, k, func(arg uint64) bool { return !killed[arg] })
	oracleRun := func(until Time) {
		for {
			var min *oracleEvent
			for _, ev := range oracle {
				if ev.done || ev.cancelled || ev.at > until {
					continue
				}
				if min == nil || ev.at < min.at || (ev.at == min.at && (ev.class < min.class || (ev.class == min.class && ev.seq < min.seq))) {
					min = ev
				}
			}
			if min == nil {
				return
			}
			min.done = true
			want = append(want, min.arg)
			if ok, d, c, child := followUp(min.arg); ok {
				oracleAdd(min.at+d, c, child)
			}
		}
	}

	t.Repeat(map[string]func(*rapid.T){
		"schedule": func(t *rapid.T) {
			if held(e) >= 12 { // stay below the forced sequence limit (16)
				t.Skip("queue full for this test")
			}
			at := e.Now() + Time(rapid.IntRange(0, 5).Draw(t, "delay"))
			c := Class(rapid.IntRange(0, 7).Draw(t, "class"))
			nextArg += 10
			ids[nextArg] = e.At(at, c, k, nextArg)
			oracleAdd(at, c, nextArg)
		},
		"lane": func(t *rapid.T) {
			if held(e) >= 12 {
				t.Skip("queue full for this test")
			}
			l := lanes[rapid.IntRange(0, 1).Draw(t, "lane")]
			at := e.Now() + Time(rapid.IntRange(0, 5).Draw(t, "delay"))
			c := Class(rapid.SampledFrom([]int{2, 5}).Draw(t, "class")) // sometimes not the lane's
			nextArg += 10
			ids[nextArg] = e.AtLane(l, at, c, k, nextArg)
			oracleAdd(at, c, nextArg)
		},
		"lazy": func(t *rapid.T) {
			if held(e) >= 12 {
				t.Skip("queue full for this test")
			}
			at := e.Now() + Time(rapid.IntRange(0, 5).Draw(t, "delay"))
			c := Class(rapid.SampledFrom([]int{4, 5}).Draw(t, "class")) // sometimes not the lane's
			nextArg += 10
			id := e.AtLane(lazy, at, c, k, nextArg)
			ids[nextArg] = id
			// queued lazily (no ID), or the lane's event in the heap
			lazyArgs[nextArg] = id == 0 || e.slots[uint32(id)-1].lane != 0
			oracleAdd(at, c, nextArg)
		},
		"kill": func(t *rapid.T) {
			if nextArg == 0 {
				t.Skip("nothing scheduled yet")
			}
			arg := uint64(rapid.IntRange(1, int(nextArg/10)).Draw(t, "which")) * 10
			killed[arg] = true
			if ev := byArg[arg]; lazyArgs[arg] && !ev.done {
				ev.cancelled = true // its owner ended: the lane drops it
			}
		},
		"cancel": func(t *rapid.T) {
			if nextArg == 0 {
				t.Skip("nothing scheduled yet")
			}
			arg := uint64(rapid.IntRange(1, int(nextArg/10)).Draw(t, "which")) * 10
			if ids[arg] == 0 {
				t.Skip("queued in a lazy lane: no ID to cancel")
			}
			ev := byArg[arg]
			wantOK := !ev.done && !ev.cancelled
			ev.cancelled = true
			if gotOK := e.Cancel(ids[arg]); gotOK != wantOK {
				t.Fatalf("Cancel(arg %d) = %v, oracle says %v", arg, gotOK, wantOK)
			}
		},
		"run": func(t *rapid.T) {
			until := e.Now() + Time(rapid.IntRange(0, 6).Draw(t, "for"))
			e.Run(until)
			oracleRun(until)
			if !slices.Equal(got, want) {
				t.Fatalf("engine ran %v\noracle ran %v", got, want)
			}
		},
		"": func(t *rapid.T) {
			pending := 0
			for _, ev := range oracle {
				if !ev.done && !ev.cancelled {
					pending++
				}
			}
			if e.Pending() != pending {
				t.Fatalf("Pending() = %d, oracle has %d", e.Pending(), pending)
			}
		},
	})
	e.Run(Never - 1)
	oracleRun(Never - 1)
	if !slices.Equal(got, want) {
		t.Fatalf("engine ran %v\noracle ran %v", got, want)
	}
	return e.q.renumbers
}

// held is the events the engine holds (pending or tombstones), in the heap
// and waiting in lanes: what renumbering numbers.
func held(e *Engine) int {
	n := len(e.q.h)
	for _, l := range e.lanes {
		n += len(l.q) - l.head
		n += len(l.lq) - l.head
	}
	return n
}
