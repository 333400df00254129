package topology

import "github.com/tangle-sim/tangle/sim"

// BusSpec configures the signal bus: every Interval each replica's
// in-flight count is measured, and the measurement reaches the deciders
// Delay later. Interval 0 disables the bus.
type BusSpec struct {
	Interval sim.Time // measurement period
	Delay    sim.Time // from measurement to delivery
}

// Signal is one delivered measurement of a host: its load report.
type Signal struct {
	Value       float64  // in-flight requests at the replica when measured
	Utilization float64  // busy fraction of its service slots over the last interval, 0..1
	QPS         float64  // requests it finished per second over the last interval
	EPS         float64  // of which errors, per second
	Emitted     sim.Time // when it was measured; its age is now − Emitted
	Valid       bool     // false until the first delivery
}

// Bus carries per-replica load signals from the replicas to the deciders
// that route on signals. Deciders read the board: the latest delivered
// signal per replica, aged.
type Bus struct {
	Spec   BusSpec
	boards [][]Signal // per service, per replica

	w     *World
	snaps [][]Signal // measurement buffers, by slot
	free  []int

	// per replica, at the previous measurement
	lastAt     sim.Time
	lastServed []uint64
	lastErrors []uint64
	lastBusy   []float64

	tick, deliver sim.Kind

	// Published and Delivered count signals measured and delivered.
	Published, Delivered uint64
}

// Board returns the latest delivered signal of replica i of service s.
func (b *Bus) Board(s, i int) Signal { return b.boards[s][i] }

func newBus(w *World, spec BusSpec) *Bus {
	b := &Bus{Spec: spec, w: w}
	b.boards = make([][]Signal, len(w.Services))
	for i, s := range w.Services {
		b.boards[i] = make([]Signal, len(s.Replicas))
	}
	b.lastServed = make([]uint64, len(w.Replicas))
	b.lastErrors = make([]uint64, len(w.Replicas))
	b.lastBusy = make([]float64, len(w.Replicas))
	b.tick = w.Eng.Handle("bus.measure", b.measure)
	b.deliver = w.Eng.Handle("bus.deliver", func(slot uint64) { b.apply(int(slot)) })
	return b
}

func (b *Bus) start() {
	if b.Spec.Interval > 0 {
		b.w.Eng.At(0, ClassSignal, b.tick, 0)
	}
}

// measure takes every replica's load report and sends it on.
func (b *Bus) measure(uint64) {
	var slot int
	if n := len(b.free); n > 0 {
		slot, b.free = b.free[n-1], b.free[:n-1]
	} else {
		b.snaps = append(b.snaps, make([]Signal, len(b.w.Replicas)))
		slot = len(b.snaps) - 1
	}
	snap := b.snaps[slot]
	now := b.w.Eng.Now()
	dt := (now - b.lastAt).Seconds()
	for i, r := range b.w.Replicas {
		s := Signal{Value: float64(r.InFlight()), Emitted: now, Valid: true}
		busy := r.BusyArea(now)
		if dt > 0 {
			s.QPS = float64(r.Served-b.lastServed[i]) / dt
			s.EPS = float64(r.Errors-b.lastErrors[i]) / dt
			s.Utilization = (busy - b.lastBusy[i]) / (dt * float64(r.Service.Spec.Concurrency))
		}
		snap[i] = s
		b.lastServed[i], b.lastErrors[i], b.lastBusy[i] = r.Served, r.Errors, busy
	}
	b.lastAt = now
	b.Published += uint64(len(snap))
	if b.Spec.Delay == 0 {
		b.apply(slot)
	} else {
		b.w.Eng.After(b.Spec.Delay, ClassSignal, b.deliver, uint64(slot))
	}
	b.w.Eng.After(b.Spec.Interval, ClassSignal, b.tick, 0)
}

// apply writes a measurement onto the boards and frees its buffer.
func (b *Bus) apply(slot int) {
	for i, r := range b.w.Replicas {
		s := b.snaps[slot][i]
		sig := &b.boards[r.Service.ID][r.Index]
		if sig.Valid && s.Emitted < sig.Emitted { // never replace a newer signal with an older one
			continue
		}
		*sig = s
		b.Delivered++
	}
	b.free = append(b.free, slot)
}
