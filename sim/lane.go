package sim

import (
	"fmt"
	"slices"
)

// Lane is a queue of events of one class whose times never decrease, such
// as a client's request timeouts (arrival + a fixed timeout). Most such
// timers are cancelled long before they fire; in a lane they wait in a
// FIFO outside the heap, and only the lane's earliest event is in the heap
// at a time, so arming and cancelling them costs O(1) and their tombstones
// do not deepen the heap. Events keep the (time, class, sequence) keys At
// would give them, so they run in exactly the order they would have run
// from the heap. The zero Lane is none (AtLane schedules through At).
type Lane uint8

const maxLanes = 255

type lane struct {
	class Class
	q     []event // events waiting behind the one in the heap, in order
	head  int     // q[head:] are waiting
	last  Time    // latest time scheduled into the lane
	rep   bool    // one of the lane's events is in the heap
	dead  int     // cancelled events among the waiting ones
	slot  uint32  // the slot of the lane's event in the heap, if rep

	// A lazy lane's (NewLazyLane) waiting events are in lq, not q: they
	// take no slot until they reach the heap, and are never cancelled;
	// alive says whether one is still wanted.
	alive     func(arg uint64) bool
	kind      Kind
	lq        []lazyEvent
	compactAt int // compact lq when this many wait
}

// lazyEvent is a lazy lane's waiting event: its ordering key and argument.
type lazyEvent struct {
	at  Time
	key uint32
	arg uint64
}

// laneCompactMin is how many cancelled events a lane holds before it may
// compact them away (when they are also most of its waiting events). A
// variable so tests can force compaction.
var laneCompactMin = 4096

// lazyCompactMin is the fewest waiting events at which a lazy lane
// compacts. Its compaction only reads its own entries (and alive), so it
// can run often: a lane stays a few KiB when few of its events are live,
// instead of growing to laneCompactMin entries in every run (most of a
// short run's allocation before). A variable so tests can force it.
var lazyCompactMin = 256

// cancelInLane notes that a waiting event of lane l was cancelled, and
// drops the lane's cancelled events (releasing their slots) when they
// dominate, so a lane holds about its live events, as the heap's
// compaction does for the heap. O(waiting), amortised O(1).
func (e *Engine) cancelInLane(l uint8, s uint32) {
	ln := &e.lanes[l-1]
	if ln.rep && ln.slot == s { // the one in the heap: a heap tombstone
		return
	}
	ln.dead++
	if ln.dead < laneCompactMin || 2*ln.dead <= len(ln.q)-ln.head {
		return
	}
	j := 0
	for _, ev := range ln.q[ln.head:] {
		if e.slots[ev.slot].state == slotCancelled {
			e.release(ev.slot)
			continue
		}
		ln.q[j] = ev
		j++
	}
	ln.q, ln.head, ln.dead = ln.q[:j], 0, 0
}

// NewLane returns a lane for events of class c, or the zero Lane when the
// engine already has the most lanes it supports (255); AtLane then falls
// back to At.
func (e *Engine) NewLane(c Class) Lane {
	if c > maxClass || len(e.lanes) >= maxLanes {
		return 0
	}
	e.lanes = append(e.lanes, lane{class: c})
	return Lane(len(e.lanes))
}

// NewLazyLane returns a lane for events of class c that run handler k and
// are never cancelled: an event is dropped, without running, once
// alive(arg) is false when it comes due or when the lane compacts. It
// suits timers whose owners end far more often than they fire, such as
// request timeouts: ending the owner is the cancellation, and no slot is
// taken or touched for the timer until it reaches the heap. alive must be
// monotone (once false, false for good), read-only and cheap. AtLane into
// a lazy lane returns the zero EventID for events it queues lazily. The
// zero Lane is returned when the engine has the most lanes it supports.
func (e *Engine) NewLazyLane(c Class, k Kind, alive func(arg uint64) bool) Lane {
	l := e.NewLane(c)
	if l != 0 {
		ln := &e.lanes[l-1]
		ln.alive, ln.kind, ln.compactAt = alive, k, lazyCompactMin
	}
	return l
}

// AtLane schedules handler k with arg at time t in class c, exactly as At
// does (same order, same result), through lane l, and returns an ID that
// can cancel it. Events of a lane should come in non-decreasing time; one
// earlier than the lane's latest, of another class than the lane's, or in
// the zero Lane is scheduled through At.
func (e *Engine) AtLane(l Lane, t Time, c Class, k Kind, arg uint64) EventID {
	if l == 0 || int(l) > len(e.lanes) || e.lanes[l-1].class != c {
		return e.At(t, c, k, arg)
	}
	ln := &e.lanes[l-1]
	if (ln.rep || ln.head < len(ln.q) || ln.head < len(ln.lq)) && t < ln.last {
		return e.At(t, c, k, arg)
	}
	if ln.alive != nil {
		if k != ln.kind {
			return e.At(t, c, k, arg)
		}
		if ln.rep {
			if t < e.now {
				panic(fmt.Sprintf("sim: %s scheduled at %v, before now (%v)", e.HandlerName(k), t, e.now))
			}
			if e.q.seq >= seqLimit {
				e.renumber()
			}
			e.lazyPush(ln, lazyEvent{at: t, key: e.q.nextKey(c), arg: arg})
			ln.last = t
			e.laneLive++
			return 0
		}
	}
	ev, id := e.arm(t, c, k, arg)
	e.slots[ev.slot].lane = uint8(l)
	ln.last = t
	e.laneLive++
	if !ln.rep {
		ln.rep, ln.slot = true, ev.slot
		e.laneReps++
		e.schedule(ev)
		return id
	}
	if ln.head > 0 && ln.head >= 1024 && 2*ln.head >= len(ln.q) {
		n := copy(ln.q, ln.q[ln.head:])
		ln.q, ln.head = ln.q[:n], 0
	}
	ln.q = append(ln.q, ev)
	return id
}

// lazyPush queues ev behind lazy lane ln's event in the heap, first
// dropping the waiting events no longer alive when the lane has grown to
// twice what its last compaction kept (amortised O(1) per event).
func (e *Engine) lazyPush(ln *lane, ev lazyEvent) {
	if len(ln.lq)-ln.head >= ln.compactAt {
		j := 0
		for _, w := range ln.lq[ln.head:] {
			if ln.alive(w.arg) {
				ln.lq[j] = w
				j++
			}
		}
		e.laneLive -= len(ln.lq) - ln.head - j
		ln.lq, ln.head = ln.lq[:j], 0
		ln.compactAt = max(lazyCompactMin, 2*j)
	} else if ln.head >= 1024 && 2*ln.head >= len(ln.lq) {
		n := copy(ln.lq, ln.lq[ln.head:])
		ln.lq, ln.head = ln.lq[:n], 0
	}
	ln.lq = append(ln.lq, ev)
}

// nextInLane takes lane l's earliest waiting event that is not cancelled
// (releasing the cancelled ones before it) to put in the heap in place of
// the lane's event that just left it; ok is false when the lane is empty.
func (e *Engine) nextInLane(l uint8) (ev event, ok bool) {
	ln := &e.lanes[l-1]
	if ln.alive != nil {
		return e.nextInLazyLane(ln, l)
	}
	for ln.head < len(ln.q) {
		ev = ln.q[ln.head]
		ln.head++
		if e.slots[ev.slot].state == slotCancelled {
			e.release(ev.slot)
			ln.dead--
			continue
		}
		ln.slot = ev.slot
		return ev, true
	}
	ln.q, ln.head, ln.dead = ln.q[:0], 0, 0
	ln.rep = false
	e.laneReps--
	return event{}, false
}

// nextInLazyLane is nextInLane for a lazy lane: its earliest waiting
// event still alive gets a slot and goes to the heap; dead ones before it
// are dropped.
func (e *Engine) nextInLazyLane(ln *lane, l uint8) (event, bool) {
	for ln.head < len(ln.lq) {
		w := ln.lq[ln.head]
		ln.head++
		if !ln.alive(w.arg) {
			e.laneLive--
			continue
		}
		s := e.takeSlot(ln.kind, w.arg, l)
		ln.slot = s
		return event{at: w.at, key: w.key, slot: s}, true
	}
	ln.lq, ln.head = ln.lq[:0], 0
	ln.rep = false
	e.laneReps--
	return event{}, false
}

// renumber hands out sequence numbers 0..n-1 to every pending event, in the
// heap and waiting in lanes, in their order, so relative order is kept
// exactly. Renumbering changes no event's rank, so the heap stays a heap
// and each lane stays in order.
func (e *Engine) renumber() {
	q := &e.q
	q.renumbers++
	type loc struct {
		ev   event
		lane int // 0: the heap
		i    int
	}
	all := make([]loc, 0, len(q.h)+e.laneLive)
	for i, ev := range q.h {
		all = append(all, loc{ev, 0, i})
	}
	for l := range e.lanes {
		ln := &e.lanes[l]
		for i := ln.head; i < len(ln.q); i++ {
			all = append(all, loc{ln.q[i], l + 1, i})
		}
		for i := ln.head; i < len(ln.lq); i++ {
			all = append(all, loc{event{at: ln.lq[i].at, key: ln.lq[i].key}, l + 1, i})
		}
	}
	slices.SortFunc(all, func(a, b loc) int {
		switch {
		case a.ev.less(b.ev):
			return -1
		case b.ev.less(a.ev):
			return 1
		}
		return 0
	})
	if uint64(len(all)) >= uint64(seqLimit) {
		panic("sim: more pending events than sequence numbers")
	}
	for seq, a := range all {
		key := a.ev.key&^(1<<seqBits-1) | uint32(seq)
		switch ln := &e.lanes[max(a.lane, 1)-1]; {
		case a.lane == 0:
			q.h[a.i].key = key
		case ln.alive != nil:
			ln.lq[a.i].key = key
		default:
			ln.q[a.i].key = key
		}
	}
	q.seq = uint32(len(all))
}
