package topology

import (
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// BusSpec configures the signal bus: every Interval each replica's
// in-flight count is measured, and the measurement reaches the deciders
// Delay later. Interval 0 disables the bus.
type BusSpec struct {
	Interval sim.Time // measurement period
	Delay    sim.Time // from measurement to delivery
	// LatencyTau is the time constant of the latency sensor's EWMA: each
	// measurement moves it by α = 1 − e^(−interval/τ) towards the mean
	// latency of the interval. 0 means 10 s, Linkerd's and Finagle's
	// EWMA decay (routing.md §2.1).
	LatencyTau sim.Time
	// Regions are the per-region sensors' baselines (cost per request,
	// threat score, replication lag); regions not listed read 0.
	Regions []RegionSignals
}

// Signal is one delivered measurement of a host: its load report and the
// other sensors' readings for it, all taken at Emitted.
type Signal struct {
	Value       float64  // in-flight requests at the replica when measured
	Utilization float64  // busy fraction of its service slots over the last interval, 0..1
	QPS         float64  // requests it finished per second over the last interval
	EPS         float64  // of which errors, per second
	Latency     float64  // EWMA of the time requests spent at the replica (queue and service), seconds
	ErrorRate   float64  // errors over requests finished in the last interval (0 when none finished)
	Healthy     bool     // the replica was up (not down, not paused) when measured
	Cost        float64  // its region's cost per request as the cost signal reports it
	Billed      float64  // its region's cost per request as billing meters it (the true price)
	Threat      float64  // its region's threat score from the security sensor, 0..1
	Lag         float64  // its region's replication lag, seconds
	Forged      bool     // injected by an attacker rather than measured by a sensor (control-plane breach)
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

	tick, deliver, deliverOne sim.Kind

	tampers  [][]*Tamper  // per replica: the faults acting on its signals
	loss     *rand.Rand   // telemetry-loss draws
	late     []lateSignal // signals held back by an extra delay, by slot
	lateFree []int

	lastLatency []float64 // per replica: LatencySum at the previous measurement
	ewma        []float64 // per replica: the latency sensor's EWMA
	sensors     regionSensors

	// Authenticate makes the bus verify that signals come from its sensors:
	// forged ones are dropped at ingestion (authenticated telemetry).
	Authenticate bool

	// Published counts signals measured; Delivered those written to the
	// boards; Lost those dropped by telemetry loss; Frozen those a freeze
	// held back; Forged those an attacker injected that were accepted,
	// ForgedBlocked those authentication dropped.
	Published, Delivered, Lost, Frozen, Forged, ForgedBlocked uint64
}

// Tamper is what a fault does to one replica's signals while it holds:
// the seam that stale-signal, telemetry-loss and metric-poisoning faults
// act through. Tampers on one replica stack: any freeze freezes, delays
// add, losses combine as independent drops, poisons apply in order.
type Tamper struct {
	Freeze bool                // deliver nothing: the board keeps its last value, which ages
	Delay  sim.Time            // extra delay from measurement to delivery
	Loss   float64             // probability each signal is dropped
	Poison func(Signal) Signal // rewrite the measurement (the sensor lies)
	// Forge replaces the measurement with an attacker's report, marked
	// Forged: unlike a poisoned sensor it carries no sensor credentials,
	// so an authenticating bus drops it.
	Forge func(Signal) Signal
}

type lateSignal struct {
	rep int32
	sig Signal
}

// Tamper applies t to rep's signals until the returned revert function is
// called.
func (b *Bus) Tamper(rep *Replica, t Tamper) (revert func()) {
	p := &t
	b.tampers[rep.ID] = append(b.tampers[rep.ID], p)
	return Once(func() { b.tampers[rep.ID] = Without(b.tampers[rep.ID], p) })
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
	b.lastLatency = make([]float64, len(w.Replicas))
	b.ewma = make([]float64, len(w.Replicas))
	b.sensors = newRegionSensors(w, spec.Regions)
	b.tampers = make([][]*Tamper, len(w.Replicas))
	b.loss = sim.NewStream(w.Seed, "bus/loss")
	b.deliverOne = w.Eng.Handle("bus.deliver-late", b.applyLate)
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
	tau := b.Spec.LatencyTau
	if tau <= 0 {
		tau = 10 * sim.Second
	}
	alpha := 1 - math.Exp(-dt/tau.Seconds())
	for i, r := range b.w.Replicas {
		s := Signal{Value: float64(r.InFlight()), Emitted: now, Valid: true, Healthy: r.State == Up && !r.off}
		busy := r.BusyArea(now)
		if served := r.Served - b.lastServed[i]; dt > 0 {
			s.QPS = float64(served) / dt
			s.EPS = float64(r.Errors-b.lastErrors[i]) / dt
			s.Utilization = (busy - b.lastBusy[i]) / (dt * float64(r.Service.Spec.Concurrency))
			if served > 0 {
				s.ErrorRate = float64(r.Errors-b.lastErrors[i]) / float64(served)
				mean := (r.LatencySum - b.lastLatency[i]) / float64(served)
				if b.ewma[i] == 0 {
					b.ewma[i] = mean
				} else {
					b.ewma[i] += alpha * (mean - b.ewma[i])
				}
			}
		}
		s.Latency = b.ewma[i]
		b.sensors.read(r, now, &s)
		snap[i] = s
		b.lastServed[i], b.lastErrors[i], b.lastBusy[i], b.lastLatency[i] = r.Served, r.Errors, busy, r.LatencySum
		if len(b.tampers[i]) > 0 {
			snap[i] = b.tamper(i, s)
		}
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

// tamper applies replica i's tampers to its fresh measurement s. It
// returns s with Valid false when the signal does not travel with the
// snapshot (frozen, lost, or sent separately with an extra delay).
func (b *Bus) tamper(i int, s Signal) Signal {
	var delay sim.Time
	keep := 1.0
	for _, t := range b.tampers[i] {
		if t.Freeze {
			b.Frozen++
			return Signal{}
		}
		delay += t.Delay
		keep *= 1 - t.Loss
	}
	s = b.Poisoned(b.w.Replicas[i], s)
	for _, t := range b.tampers[i] {
		if t.Forge != nil {
			s = t.Forge(s)
			s.Forged = true
		}
	}
	if s.Forged {
		if b.Authenticate {
			b.ForgedBlocked++
			return Signal{}
		}
		b.Forged++
	}
	if keep < 1 && b.loss.Float64() >= keep {
		b.Lost++
		return Signal{}
	}
	if delay > 0 {
		var k int
		if n := len(b.lateFree); n > 0 {
			k, b.lateFree = b.lateFree[n-1], b.lateFree[:n-1]
		} else {
			b.late = append(b.late, lateSignal{})
			k = len(b.late) - 1
		}
		b.late[k] = lateSignal{rep: int32(i), sig: s}
		b.w.Eng.After(b.Spec.Delay+delay, ClassSignal, b.deliverOne, uint64(k))
		return Signal{}
	}
	return s
}

// apply writes a measurement onto the boards and frees its buffer.
func (b *Bus) apply(slot int) {
	for i, s := range b.snaps[slot] {
		if s.Valid {
			b.write(i, s)
		}
	}
	b.free = append(b.free, slot)
}

// applyLate delivers one signal an extra delay held back.
func (b *Bus) applyLate(k uint64) {
	l := b.late[k]
	b.write(int(l.rep), l.sig)
	b.lateFree = append(b.lateFree, int(k))
}

// write puts s on replica i's board unless the board holds a newer one.
func (b *Bus) write(i int, s Signal) {
	r := b.w.Replicas[i]
	sig := &b.boards[r.Service.ID][r.Index]
	if sig.Valid && s.Emitted < sig.Emitted {
		return
	}
	*sig = s
	b.Delivered++
}

// Poisoned returns s as rep's active poisoning tampers rewrite it.
func (b *Bus) Poisoned(rep *Replica, s Signal) Signal {
	for _, t := range b.tampers[rep.ID] {
		if t.Poison != nil {
			s = t.Poison(s)
		}
	}
	return s
}
