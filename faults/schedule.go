package faults

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Schedule is the faults of a run.
type Schedule []Fault

// Window is one firing of a fault as it happened: for reports (shaded
// bands on time series, the fault timeline) and metrics that compare
// before, during and after.
type Window struct {
	Index   int      // position of the fault in the schedule
	Kind    string   // the fault kind
	Target  string   // the selector, as written
	Targets []string // the targets it hit
	Start   sim.Time
	End     sim.Time // sim.Never while active or when permanent
}

// Timeline records the windows of an installed schedule.
type Timeline struct {
	windows []Window
}

// Windows returns the fault windows in schedule order (faults that have
// not started yet are absent).
func (t *Timeline) Windows() []Window {
	out := make([]Window, 0, len(t.windows))
	for _, w := range t.windows {
		if w.Kind != "" {
			out = append(out, w)
		}
	}
	return out
}

// Install schedules every fault of s on w's engine: at its start the
// targets are resolved (random modes draw from the stream "faults/<index>",
// so every strategy of a replication sees the same targets) and the fault
// is injected; at its end it is reverted. Call it before w.Start.
func (s Schedule) Install(w *topology.World) (*Timeline, error) {
	tl := &Timeline{windows: make([]Window, len(s))}
	reverts := make([]func(), len(s))
	injectors := make([]Injector, len(s))
	var start, stop sim.Kind
	start = w.Eng.Handle("fault.start", func(arg uint64) {
		i := int(arg)
		f := s[i]
		rng := sim.NewStream(w.Seed, fmt.Sprintf("faults/%d", i))
		t := f.Target.Resolve(w, f.Def.Targets, rng)
		now := w.Eng.Now()
		tl.windows[i] = Window{Index: i, Kind: f.Def.Name, Target: f.Target.String(), Targets: t.Names(w), Start: now, End: sim.Never}
		reverts[i] = injectors[i].Inject(w, t)
		if f.Duration > 0 {
			w.Eng.At(now+f.Duration, topology.ClassFault, stop, arg)
		}
	})
	stop = w.Eng.Handle("fault.stop", func(arg uint64) {
		i := int(arg)
		if reverts[i] != nil {
			reverts[i]()
			reverts[i] = nil
		}
		tl.windows[i].End = w.Eng.Now()
	})
	for i, f := range s {
		if f.Def == nil {
			return nil, fmt.Errorf("faults: fault %d has no kind", i)
		}
		if f.Start < 0 || f.Duration < 0 {
			return nil, fmt.Errorf("faults: fault %d (%s): negative start or duration", i, f.Def.Name)
		}
		params, err := f.Def.Params.Complete(f.Params)
		if err != nil {
			return nil, fmt.Errorf("faults: fault %d (%s): %w", i, f.Def.Name, err)
		}
		if injectors[i], err = f.Def.Build(params); err != nil {
			return nil, fmt.Errorf("faults: fault %d (%s): %w", i, f.Def.Name, err)
		}
		if in, ok := injectors[i].(Installer); ok {
			if err := in.Install(w); err != nil {
				return nil, fmt.Errorf("faults: fault %d (%s): %w", i, f.Def.Name, err)
			}
		}
		w.Eng.At(f.Start, topology.ClassFault, start, uint64(i))
	}
	return tl, nil
}
