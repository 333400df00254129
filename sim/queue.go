package sim

// Class orders events that fall at the same instant: lower classes run first,
// and events of one class at one instant run in the order they were scheduled
// (FIFO). Eight classes exist (0..7); models name the ones they use.
type Class uint8

// Generic classes. Models define their own names on top of these (for
// example "a fault switching on runs before a request arriving at the same
// instant").
const (
	First   Class = 0 // runs before everything else at its instant
	Default Class = 3 // ordinary model events
	Last    Class = 7 // runs after everything else at its instant (observers)
)

const (
	classBits = 3
	seqBits   = 32 - classBits
	maxClass  = 1<<classBits - 1
)

// seqLimit is the number of sequence numbers handed out before the queue
// renumbers its pending events. A variable so tests can force renumbering.
var seqLimit uint32 = 1 << seqBits

// event is the 16-byte, pointer-free element of the future-event set.
// key = class<<seqBits | seq, so comparing (at, key) orders by
// (time, class, sequence). slot indexes the engine's slot table.
type event struct {
	at   Time
	key  uint32
	slot uint32
}

func (a event) less(b event) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// queue is a binary min-heap of events on a plain slice: no interface
// boxing, no allocation once the slice has grown to the run's peak size.
type queue struct {
	h         []event
	seq       uint32 // next sequence number
	renumbers int    // times the sequence space was renumbered (for tests)
}

// push adds e. O(log n).
func (q *queue) push(e event) {
	q.h = append(q.h, e)
	q.up(len(q.h) - 1)
}

// replaceTop overwrites the minimum with e and restores the heap. O(log n).
// It is push and pop in one sift, used when a handler schedules an event
// while the event it is handling still occupies the root.
func (q *queue) replaceTop(e event) {
	q.h[0] = e
	q.down(0)
}

// removeTop discards the minimum. O(log n). The queue must not be empty.
func (q *queue) removeTop() {
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	if n > 1 {
		q.down(0)
	}
}

func (q *queue) up(i int) {
	h := q.h
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *queue) down(i int) {
	h := q.h
	n := len(h)
	e := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].less(h[c]) {
			c = r
		}
		if !h[c].less(e) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = e
}

// nextKey returns the ordering key for a new event of class c. The engine
// renumbers its pending events (Engine.renumber) before the sequence space
// is exhausted.
func (q *queue) nextKey(c Class) uint32 {
	k := uint32(c)<<seqBits | q.seq
	q.seq++
	return k
}

// heapify restores the heap property over the whole slice. O(n).
func (q *queue) heapify() {
	for i := len(q.h)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}
