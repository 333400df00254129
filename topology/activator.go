package topology

import "github.com/tangle-sim/tangle/sim"

// The activator: Knative's buffer in front of a revision scaled to zero.
// An autoscaler that scales to zero (ZeroScaler) gets one for its
// service. While the service has no provisioned replica, a request its
// sidecar would fail for want of a host waits at the activator instead,
// first come first served, and the autoscaler is poked to decide at once
// (knative/serving's activator reports the request and the multiscaler's
// Poke ticks the decider for a revision at zero). When a replica becomes
// ready, the waiting requests are sent again through their sidecars, in
// arrival order. A request's own timeout keeps running while it waits.
// Beyond ActivatorCapacity waiting requests, the activator refuses (503,
// Rejected with cause queue_full), as its throttler's bounded queue does
// (activator/net/throttler.go breakerQueueDepth 10000).
//
// Not modelled: the activator's own hop latency and its load balancing
// while a revision is below its target burst capacity (it is in the path
// only while no replica is provisioned), and hedging (a hedged request
// that finds no host fails as before).

// ActivatorCapacity is how many requests the activator holds per
// service.
const ActivatorCapacity = 10000

// ZeroScaler is an optional ability of an Autoscaler: it may scale its
// service to zero replicas, and requests then wait at an activator.
type ZeroScaler interface {
	ScaleToZero() bool
}

// activator holds a service's requests while it has no replica.
type activator struct {
	loop   *scaleLoop
	queue  []Ref // FIFO of waiting requests (stale refs are skipped)
	head   int
	poked  bool // a poke is scheduled
	kPoke  sim.Kind
	Held   uint64 // requests that waited, for metrics
	Refuse uint64 // requests refused because the queue was full
}

// park holds request r (ref) of caller at activator a (its target's)
// while the target has no provisioned replica; it reports whether it did
// (or refused r, which then has ended).
func (w *World) park(a *activator, ref Ref, r *Request, caller *Caller) bool {
	if w.hedge != nil || a.loop.svc.Provisioned > 0 {
		return false
	}
	w.uncountRetry(r, caller)
	if len(a.queue)-a.head >= ActivatorCapacity {
		a.compact(w) // requests that gave up while waiting take no room
	}
	if len(a.queue)-a.head >= ActivatorCapacity {
		a.Refuse++
		w.end(ref, r, Rejected, CauseQueueFull)
		return true
	}
	a.queue = append(a.queue, ref)
	a.Held++
	if !a.poked {
		a.poked = true
		w.Eng.At(w.Eng.Now(), ClassControl, a.kPoke, 0)
	}
	return true
}

// compact drops the requests that ended while they waited.
func (a *activator) compact(w *World) {
	live := a.queue[:0]
	for _, ref := range a.queue[a.head:] {
		if stillWaiting(w, ref) {
			live = append(live, ref)
		}
	}
	clear(a.queue[len(live):])
	a.queue, a.head = live, 0
}

// buffered is the number of requests waiting now (those that ended while
// they waited are still in the queue, and not counted).
func (a *activator) buffered(w *World) int {
	n := 0
	for _, ref := range a.queue[a.head:] {
		if stillWaiting(w, ref) {
			n++
		}
	}
	return n
}

// stillWaiting reports whether the request ref still waits: it has not ended
// (its slot not reused) since it was held.
func stillWaiting(w *World, ref Ref) bool {
	r := w.reqs.Get(ref)
	return r != nil && r.Outcome == Pending
}

// release sends the waiting requests again, oldest first, while the
// service has a provisioned replica.
func (a *activator) release() {
	w := a.loop.w
	svc := a.loop.svc
	for a.head < len(a.queue) && svc.Provisioned > 0 {
		ref := a.queue[a.head]
		a.queue[a.head] = 0
		a.head++
		if !stillWaiting(w, ref) {
			continue // it timed out while it waited
		}
		r := w.reqs.Get(ref)
		w.send(ref, r, w.Callers[r.Caller])
	}
	if a.head == len(a.queue) {
		a.queue, a.head = a.queue[:0], 0
	}
}

// poke runs the service's autoscaler now, outside its period.
func (a *activator) poke(uint64) {
	a.poked = false
	a.loop.decide()
}

// ActivatorRequests returns how many requests for svc waited at its
// activator, and how many it refused for want of room, over the run so
// far; 0, 0 for a service without one.
func (w *World) ActivatorRequests(svc *Service) (held, refused uint64) {
	if a := svc.activator; a != nil {
		return a.Held, a.Refuse
	}
	return 0, 0
}
