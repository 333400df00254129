package faults

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// clockStrobe is Jepsen's strobe (nemesis/time.clj): while the fault
// holds, each target's wall clock steps forward by delta and back again,
// one step every period; it ends where it began. The fault schedules its
// own steps (Installer) on the seam it wraps, the nodes' modelled clocks.
type clockStrobe struct {
	delta, period sim.Time
	w             *topology.World
	step          sim.Kind
	strobes       []*strobing
}

// strobing is one target's strobe.
type strobing struct {
	node  *state.Node
	ahead bool // its clock is delta ahead now
	on    bool
}

func (c *clockStrobe) Install(w *topology.World) error {
	c.w = w
	c.step = w.Eng.Handle("fault.clock-strobe", func(i uint64) {
		if c.strobes[i].on {
			c.stepOne(int(i))
		}
	})
	return nil
}

func (c *clockStrobe) Inject(w *topology.World, t Targets) (revert func()) {
	s := state.Of(w)
	if s == nil {
		return func() {}
	}
	var mine []*strobing
	for _, r := range t.Replicas {
		st := &strobing{node: s.NodeOf(r), on: true}
		c.strobes = append(c.strobes, st)
		mine = append(mine, st)
		c.stepOne(len(c.strobes) - 1)
	}
	return func() {
		for _, st := range mine {
			st.on = false
			if st.ahead {
				st.ahead = false
				st.node.Clock.Step(w.Eng.Now(), -c.delta)
			}
		}
	}
}

// stepOne steps strobe i's clock and schedules its next step.
func (c *clockStrobe) stepOne(i int) {
	st := c.strobes[i]
	d := c.delta
	if st.ahead {
		d = -d
	}
	st.ahead = !st.ahead
	now := c.w.Eng.Now()
	st.node.Clock.Step(now, d)
	c.w.Eng.At(now+c.period, topology.ClassControl, c.step, uint64(i))
}
