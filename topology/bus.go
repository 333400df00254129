package topology

import "github.com/tangle-sim/tangle/sim"

// BusSpec configures the signal bus: every Interval each replica's
// in-flight count is measured, and the measurement reaches the deciders
// Delay later. Interval 0 disables the bus.
type BusSpec struct {
	Interval sim.Time // measurement period
	Delay    sim.Time // from measurement to delivery
}

// Signal is one delivered measurement of a host.
type Signal struct {
	Value   float64  // in-flight requests at the replica when measured
	Emitted sim.Time // when it was measured; its age is now − Emitted
	Valid   bool     // false until the first delivery
}

// Bus carries per-replica load signals from the replicas to the deciders
// that route on signals. Deciders read the board: the latest delivered
// signal per replica, aged.
type Bus struct {
	Spec   BusSpec
	boards [][]Signal // per service, per replica

	w     *World
	snaps [][]float64 // measurement buffers, by slot
	at    []sim.Time  // measurement time per slot
	free  []int

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
	b.tick = w.Eng.Handle("bus.measure", b.measure)
	b.deliver = w.Eng.Handle("bus.deliver", func(slot uint64) { b.apply(int(slot)) })
	return b
}

func (b *Bus) start() {
	if b.Spec.Interval > 0 {
		b.w.Eng.At(0, ClassSignal, b.tick, 0)
	}
}

// measure snapshots every replica's in-flight count and sends it on.
func (b *Bus) measure(uint64) {
	var slot int
	if n := len(b.free); n > 0 {
		slot, b.free = b.free[n-1], b.free[:n-1]
	} else {
		b.snaps = append(b.snaps, make([]float64, len(b.w.Replicas)))
		b.at = append(b.at, 0)
		slot = len(b.snaps) - 1
	}
	snap := b.snaps[slot]
	for i, r := range b.w.Replicas {
		snap[i] = float64(r.InFlight())
	}
	b.at[slot] = b.w.Eng.Now()
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
	snap, at := b.snaps[slot], b.at[slot]
	for i, r := range b.w.Replicas {
		sig := &b.boards[r.Service.ID][r.Index]
		if at < sig.Emitted && sig.Valid { // never replace a newer signal with an older one
			continue
		}
		*sig = Signal{Value: snap[i], Emitted: at, Valid: true}
		b.Delivered++
	}
	b.free = append(b.free, slot)
}
