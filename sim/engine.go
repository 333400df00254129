package sim

import "fmt"

// Kind names a registered handler. Events carry a Kind and a 64-bit
// argument; the engine calls the handler with the argument when the event's
// time comes.
type Kind uint16

// EventID identifies one scheduled event so it can be cancelled. The zero
// EventID refers to no event; cancelling it is a no-op.
type EventID uint64

// slot states
const (
	slotFree uint8 = iota
	slotArmed
	slotCancelled
)

// slot holds what an event does; events in the heap point at slots so the
// heap stays pointer-free and 16 bytes wide.
type slot struct {
	arg   uint64
	gen   uint32 // bumped on every reuse so stale EventIDs cannot cancel
	kind  Kind
	state uint8
	lane  uint8 // the Lane the event is in, 0 for none
}

type handler struct {
	name string
	fn   func(arg uint64)
}

// Engine is a single-threaded discrete-event loop over virtual time.
// It is not safe for concurrent use; run one engine per goroutine.
type Engine struct {
	now      Time
	q        queue
	hole     bool // q.h[0] is the event being handled (popped lazily)
	slots    []slot
	free     []uint32
	handlers []handler

	warm      uint32 // sink of Run's early slot loads
	cancelled int    // cancelled events still in the heap, not counting lanes'
	lanes     []lane
	laneLive  int    // lane events pending (in the heap or waiting)
	laneReps  int    // lanes with an event in the heap
	events    uint64 // handlers run so far
	stopped   bool

	progressEvery uint64
	progressNext  uint64
	progress      func() bool
}

// NewEngine returns an engine at time 0 with an empty event set.
func NewEngine() *Engine {
	return &Engine{}
}

// Now is the current virtual time.
func (e *Engine) Now() Time { return e.now }

// Events is the number of handlers run so far.
func (e *Engine) Events() uint64 { return e.events }

// Pending is the number of events scheduled and not yet run or cancelled.
func (e *Engine) Pending() int {
	n := len(e.q.h) - e.cancelled - e.laneReps + e.laneLive
	if e.hole {
		n--
	}
	// Lazy lanes count their events until they are found dead: count the
	// dead ones out (O(their waiting events); Pending is not a hot path).
	for l := range e.lanes {
		ln := &e.lanes[l]
		if ln.alive == nil {
			continue
		}
		for _, w := range ln.lq[ln.head:] {
			if !ln.alive(w.arg) {
				n--
			}
		}
		if ln.rep && (!e.hole || e.q.h[0].slot != ln.slot) {
			if sl := &e.slots[ln.slot]; sl.state == slotArmed && e.unwanted(sl) {
				n--
			}
		}
	}
	return n
}

// Handle registers fn under name and returns the Kind to schedule it with.
// Register handlers while building the model, before Run. The name appears
// in panics and traces.
func (e *Engine) Handle(name string, fn func(arg uint64)) Kind {
	if len(e.handlers) >= 1<<16 {
		panic("sim: too many handler kinds")
	}
	e.handlers = append(e.handlers, handler{name: name, fn: fn})
	return Kind(len(e.handlers) - 1)
}

// HandlerName returns the name k was registered with.
func (e *Engine) HandlerName(k Kind) string {
	if int(k) >= len(e.handlers) {
		return fmt.Sprintf("kind(%d)", k)
	}
	return e.handlers[k].name
}

// At schedules handler k with arg at time t in class c and returns an ID
// that can cancel it. t must not be earlier than Now. O(log n), no
// allocation once the engine's tables have grown to the run's peak size.
func (e *Engine) At(t Time, c Class, k Kind, arg uint64) EventID {
	if c > maxClass {
		panic(fmt.Sprintf("sim: class %d out of range 0..%d", c, maxClass))
	}
	// arm and schedule, written out: this is the engine's hottest path.
	if t < e.now {
		panic(fmt.Sprintf("sim: %s scheduled at %v, before now (%v)", e.HandlerName(k), t, e.now))
	}
	var s uint32
	if n := len(e.free); n > 0 {
		s = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		s = uint32(len(e.slots))
		e.slots = append(e.slots, slot{})
	}
	sl := &e.slots[s]
	sl.arg, sl.kind, sl.state, sl.lane = arg, k, slotArmed, 0
	if e.q.seq >= seqLimit {
		e.renumber()
	}
	ev := event{at: t, key: e.q.nextKey(c), slot: s}
	if e.hole {
		e.q.replaceTop(ev)
		e.hole = false
	} else {
		e.q.push(ev)
	}
	return EventID(uint64(sl.gen)<<32 | uint64(s+1))
}

// arm takes a slot for handler k with arg and the event's ordering key.
func (e *Engine) arm(t Time, c Class, k Kind, arg uint64) (event, EventID) {
	if t < e.now {
		panic(fmt.Sprintf("sim: %s scheduled at %v, before now (%v)", e.HandlerName(k), t, e.now))
	}
	s := e.takeSlot(k, arg, 0)
	sl := &e.slots[s]
	if e.q.seq >= seqLimit {
		e.renumber()
	}
	return event{at: t, key: e.q.nextKey(c), slot: s}, EventID(uint64(sl.gen)<<32 | uint64(s+1))
}

// takeSlot takes a free slot (growing the table when none is free) and
// arms it for handler k with arg, in lane l (0: none). At does the same,
// written out.
func (e *Engine) takeSlot(k Kind, arg uint64, l uint8) uint32 {
	var s uint32
	if n := len(e.free); n > 0 {
		s = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		s = uint32(len(e.slots))
		e.slots = append(e.slots, slot{})
	}
	sl := &e.slots[s]
	sl.arg, sl.kind, sl.state, sl.lane = arg, k, slotArmed, l
	return s
}

// schedule puts ev in the heap (in the hole the running event left, if
// there is one).
func (e *Engine) schedule(ev event) {
	if e.hole {
		e.q.replaceTop(ev)
		e.hole = false
	} else {
		e.q.push(ev)
	}
}

// After schedules handler k with arg at Now()+d. See At. A delay that
// would overflow Time saturates at Never (the event never runs).
func (e *Engine) After(d Time, c Class, k Kind, arg uint64) EventID {
	t := e.now + d
	if d > 0 && t < e.now {
		t = Never
	}
	return e.At(t, c, k, arg)
}

// Cancel stops the event id from running. It reports whether the event was
// still pending. O(1): the event stays in the heap as a tombstone and is
// skipped when it surfaces; tombstones are compacted when they dominate.
func (e *Engine) Cancel(id EventID) bool {
	if id == 0 {
		return false
	}
	s := uint32(id) - 1
	if int(s) >= len(e.slots) {
		return false
	}
	sl := &e.slots[s]
	if sl.gen != uint32(id>>32) || sl.state != slotArmed {
		return false
	}
	if e.unwanted(sl) {
		return false // a lazy lane's event whose owner ended: as good as gone
	}
	sl.state = slotCancelled
	if sl.lane != 0 { // a tombstone in its lane (or its event in the heap)
		e.laneLive--
		e.cancelInLane(sl.lane, s)
		return true
	}
	e.cancelled++
	if e.cancelled > 4096 && e.cancelled > len(e.q.h)/2 {
		e.compact()
	}
	return true
}

// Reschedule cancels id (if pending) and schedules k with arg at t,
// returning the new ID: the "reset a timer" operation.
func (e *Engine) Reschedule(id EventID, t Time, c Class, k Kind, arg uint64) EventID {
	e.Cancel(id)
	return e.At(t, c, k, arg)
}

// compact removes tombstones from the heap. O(n).
func (e *Engine) compact() {
	h := e.q.h
	start := 0
	if e.hole { // keep the event being handled where it is
		start = 1
	}
	j := start
	for i := start; i < len(h); i++ {
		// A lane's event stays: it holds its lane's place in the heap.
		if sl := &e.slots[h[i].slot]; sl.state == slotCancelled && sl.lane == 0 {
			e.release(h[i].slot)
			continue
		}
		h[j] = h[i]
		j++
	}
	e.q.h = h[:j]
	e.cancelled = 0
	e.q.heapify()
}

func (e *Engine) release(s uint32) {
	sl := &e.slots[s]
	sl.state = slotFree
	sl.gen++
	e.free = append(e.free, s)
}

// SetProgress makes Run call fn every `every` handled events; when fn
// returns false the run stops as if Stop had been called. fn runs on the
// engine's goroutine and must not schedule events. Used by the edges of the
// program for progress reports and cancellation; the core never sets it.
func (e *Engine) SetProgress(every uint64, fn func() bool) {
	if every == 0 || fn == nil {
		e.progressEvery, e.progress = 0, nil
		return
	}
	e.progressEvery, e.progress = every, fn
	e.progressNext = e.events + every
}

// Stop makes Run return after the handler that is running now.
func (e *Engine) Stop() { e.stopped = true }

// Stopped reports whether the last Run ended because of Stop or a progress
// callback returning false.
func (e *Engine) Stopped() bool { return e.stopped }

// Run handles events in (time, class, sequence) order until the next event
// is later than until, the event set is empty, or Stop is called. Unless
// stopped, it then advances the clock to until. It returns the number of
// handlers run.
func (e *Engine) Run(until Time) uint64 {
	start := e.events
	e.stopped = false
	for !e.stopped {
		if e.hole {
			e.q.removeTop()
			e.hole = false
		}
		if len(e.q.h) == 0 || e.q.h[0].at > until {
			break
		}
		ev := e.q.h[0]
		e.hole = true
		// One of the root's children is usually the next event to run:
		// load their slots now, so those loads overlap this handler
		// instead of stalling the next iteration.
		if h := e.q.h; len(h) > 2 {
			e.warm ^= e.slots[h[1].slot].gen ^ e.slots[h[2].slot].gen
		}
		sl := &e.slots[ev.slot]
		k, arg, st, ln := sl.kind, sl.arg, sl.state, sl.lane
		e.release(ev.slot)
		if ln != 0 {
			// The lane's next event takes this one's place in the heap.
			if next, ok := e.nextInLane(ln); ok {
				e.q.replaceTop(next)
				e.hole = false
			}
			if st == slotCancelled {
				continue
			}
			e.laneLive--
			if lz := e.lanes[ln-1].alive; lz != nil && !lz(arg) {
				continue // unwanted (its slot, read above, is released already)
			}
		} else if st == slotCancelled {
			e.cancelled--
			continue
		}
		e.now = ev.at
		e.events++
		e.handlers[k].fn(arg)
		if e.progress != nil && e.events >= e.progressNext {
			e.progressNext = e.events + e.progressEvery
			if !e.progress() {
				e.stopped = true
			}
		}
	}
	if e.hole {
		e.q.removeTop()
		e.hole = false
	}
	if !e.stopped && until > e.now {
		e.now = until
	}
	return e.events - start
}

// unwanted reports whether armed slot sl is a lazy lane's event whose
// owner has ended (see NewLazyLane).
func (e *Engine) unwanted(sl *slot) bool {
	return sl.lane != 0 && e.lanes[sl.lane-1].alive != nil && !e.lanes[sl.lane-1].alive(sl.arg)
}

// deadAtRoot reports whether the heap's root will not run: cancelled or
// unwanted.
func (e *Engine) deadAtRoot() bool {
	sl := &e.slots[e.q.h[0].slot]
	return sl.state == slotCancelled || e.unwanted(sl)
}

// NextAt returns the time of the earliest pending event, or Never.
func (e *Engine) NextAt() Time {
	if e.hole {
		e.q.removeTop()
		e.hole = false
	}
	for len(e.q.h) > 0 && e.deadAtRoot() {
		sl := &e.slots[e.q.h[0].slot]
		ln := sl.lane
		if sl.state == slotArmed { // a lazy lane's event no longer wanted
			e.laneLive--
		}
		e.release(e.q.h[0].slot)
		if ln == 0 {
			e.cancelled--
			e.q.removeTop()
		} else if next, ok := e.nextInLane(ln); ok {
			e.q.replaceTop(next)
		} else {
			e.q.removeTop()
		}
	}
	if len(e.q.h) == 0 {
		return Never
	}
	return e.q.h[0].at
}
