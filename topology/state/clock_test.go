package state

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"pgregory.net/rapid"
)

func TestClockReadings(t *testing.T) {
	c := NewClock()
	if c.Mono(5*sim.Second) != 5*sim.Second || c.Wall(5*sim.Second) != 5*sim.Second {
		t.Fatal("a perfect clock does not read virtual time")
	}
	c.SetRate(10*sim.Second, 1.5) // drift: both readings run 50% fast from 10 s
	if got := c.Mono(20 * sim.Second); got != 25*sim.Second {
		t.Fatalf("mono after 10 s at rate 1.5: %v, want 25s", got)
	}
	c.Step(20*sim.Second, -3*sim.Second) // jump: wall only
	if c.Mono(20*sim.Second) != 25*sim.Second || c.Wall(20*sim.Second) != 22*sim.Second {
		t.Fatalf("after a -3s step: mono %v wall %v, want 25s and 22s", c.Mono(20*sim.Second), c.Wall(20*sim.Second))
	}
	if off := c.Offset(20 * sim.Second); off != 2*sim.Second {
		t.Fatalf("offset %v, want 2s", off)
	}
	c.SetRate(20*sim.Second, 1)
	if c.Mono(30*sim.Second) != 35*sim.Second {
		t.Fatalf("the offset gained while drifting was lost: %v", c.Mono(30*sim.Second))
	}
}

// TestClockTimersNeverEarly: a timer of d armed on a drifted clock fires
// when that clock has advanced by at least d, and not a nanosecond later
// than needed (the bug rapid found: a rounded-down wait fired early and a
// queue re-armed a zero-length timer forever).
func TestClockTimersNeverEarly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := NewClock()
		c.SetRate(sim.Time(rapid.Int64Range(0, 1e12).Draw(t, "anchor")), rapid.Float64Range(0.01, 100).Draw(t, "rate"))
		now := sim.Time(rapid.Int64Range(1e12, 2e12).Draw(t, "now"))
		d := sim.Time(rapid.Int64Range(1, 1e11).Draw(t, "d"))
		r := c.Real(now, d)
		if c.Mono(now+r)-c.Mono(now) < d {
			t.Fatalf("timer of %v fired after %v real: the clock advanced only %v", d, r, c.Mono(now+r)-c.Mono(now))
		}
		if r > 0 && c.Mono(now+r-1)-c.Mono(now) >= d {
			t.Fatalf("timer of %v waited %v real, one nanosecond less would do", d, r)
		}
	})
}
