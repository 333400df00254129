package state

import (
	"math"

	"github.com/tangle-sim/tangle/sim"

	"github.com/tangle-sim/tangle/topology"
)

// Clock is a node's modelled clock: two readings derived from virtual time,
// never from the wall clock of the machine running the simulation.
//
//   - Mono is the monotonic clock (CLOCK_MONOTONIC, Go's monotonic reading).
//     It advances at the clock's rate and is never stepped. Durations a
//     process measures — timers, lease expiry in client-go, context
//     deadlines — use it.
//   - Wall is the wall clock (CLOCK_REALTIME). It advances at the same rate
//     but can also be stepped (an NTP step, `date -s`, Jepsen's clock bump
//     and strobe). Timestamps written into records use it.
//
// A clock is piecewise linear: since its last change (the anchor) both
// readings advance at Rate local seconds per virtual second. A perfect clock
// has Rate 1 and reads the virtual time.
type Clock struct {
	at   sim.Time // virtual time of the anchor
	mono sim.Time // monotonic reading at the anchor
	wall sim.Time // wall reading at the anchor
	rate float64  // local seconds per virtual second, > 0
}

// NewClock returns a perfect clock: rate 1, reading virtual time.
func NewClock() Clock { return Clock{rate: 1} }

// Rate is the clock's current rate (1 = perfect, 1.5 = runs 50% fast).
func (c *Clock) Rate() float64 { return c.rate }

func (c *Clock) advance(now sim.Time) sim.Time {
	d := now - c.at
	if c.rate == 1 {
		return d
	}
	return sim.Time(float64(d) * c.rate)
}

// Mono is the monotonic reading at virtual time now.
func (c *Clock) Mono(now sim.Time) sim.Time { return c.mono + c.advance(now) }

// Wall is the wall-clock reading at virtual time now.
func (c *Clock) Wall(now sim.Time) sim.Time { return c.wall + c.advance(now) }

// Offset is how far the wall clock is ahead of virtual time at now.
func (c *Clock) Offset(now sim.Time) sim.Time { return c.Wall(now) - now }

// SetRate re-anchors the clock at now and makes both readings advance at
// rate from then on (clock drift). rate must be positive.
func (c *Clock) SetRate(now sim.Time, rate float64) {
	c.mono, c.wall, c.at = c.Mono(now), c.Wall(now), now
	c.rate = rate
}

// Step jumps the wall clock by d at now (a clock bump); the monotonic clock
// is unaffected.
func (c *Clock) Step(now sim.Time, d sim.Time) {
	c.mono, c.wall, c.at = c.Mono(now), c.Wall(now)+d, now
}

// Real converts a timer of d on this clock, armed at virtual time now,
// into virtual time: the shortest wait after which the monotonic reading
// has advanced by at least d at the current rate, so a timer never fires
// early on the clock that set it. A timer does not follow later rate
// changes.
func (c *Clock) Real(now, d sim.Time) sim.Time {
	if c.rate == 1 || d <= 0 {
		return max(d, 0)
	}
	target := c.Mono(now) + d
	r := sim.Time(math.Ceil(float64(d) / c.rate))
	for r > 0 && c.Mono(now+r-1) >= target { // flooring can make the estimate long
		r--
	}
	for c.Mono(now+r) < target { // or short
		r++
	}
	return r
}

// DriftClock makes node n's clock run at rate (1.5: 50% fast) until the
// returned function restores the previous rate. The offset gained meanwhile
// stays. Timers already armed keep the rate they were armed with.
func (s *State) DriftClock(n *Node, rate float64) (restore func()) {
	now := s.w.Eng.Now()
	prev := n.Clock.Rate()
	n.Clock.SetRate(now, rate)
	return topology.Once(func() { n.Clock.SetRate(s.w.Eng.Now(), prev) })
}

// JumpClock steps node n's wall clock by d now (Jepsen's bump); the returned
// function steps it back (a reset to NTP time). The monotonic clock does
// not jump.
func (s *State) JumpClock(n *Node, d sim.Time) (reset func()) {
	n.Clock.Step(s.w.Eng.Now(), d)
	return topology.Once(func() { n.Clock.Step(s.w.Eng.Now(), -d) })
}
