package faults_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// flap crashes its targets for down out of every period while the fault is
// active: periodic behaviour the fault kind schedules itself (Installer).
type flap struct {
	period, down sim.Time
	w            *topology.World
	crash, heal  sim.Kind
	targets      []*topology.Replica
	restarts     []func()
	gen          uint64 // bumped on every inject and revert: stale ticks do nothing
}

func (f *flap) Install(w *topology.World) error {
	f.w = w
	f.crash = w.Eng.Handle("fault.flap.crash", func(gen uint64) {
		if gen != f.gen {
			return
		}
		for _, r := range f.targets {
			f.restarts = append(f.restarts, w.Crash(r))
		}
		w.Eng.After(f.down, topology.ClassFault, f.heal, gen)
	})
	f.heal = w.Eng.Handle("fault.flap.heal", func(gen uint64) {
		f.restore()
		if gen == f.gen {
			w.Eng.After(f.period-f.down, topology.ClassFault, f.crash, gen)
		}
	})
	return nil
}

func (f *flap) restore() {
	for _, restart := range f.restarts {
		restart()
	}
	f.restarts = f.restarts[:0]
}

func (f *flap) Inject(w *topology.World, t faults.Targets) (revert func()) {
	f.gen++
	f.targets = t.Replicas
	w.Eng.After(0, topology.ClassFault, f.crash, f.gen)
	return func() { f.gen++; f.restore() }
}

// A new fault kind is a Def: its name, what it targets, its parameters and
// a Build that returns its injector. This one has behaviour of its own.
func Example_newKind() {
	flapping := &faults.Def{
		Name: "flap", Description: "the targets crash for `down` out of every `period`", Targets: faults.Replicas,
		Params: sim.ParamSet{
			{Name: "period", Kind: sim.Duration, Default: 10 * sim.Second},
			{Name: "down", Kind: sim.Duration, Default: 2 * sim.Second},
		},
		Build: func(p sim.Params) (faults.Injector, error) {
			return &flap{period: p.Duration("period"), down: p.Duration("down")}, nil
		},
	}
	w, err := topology.New(topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 2, Concurrency: 4, QueueCapacity: 10, ServiceTime: sim.Constant{V: 0.05}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 10}}, Callers: 1}},
	}, topology.Routing{Caller: firstHealthy}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	sched := faults.Schedule{{Def: flapping, Target: faults.Selector{Names: []string{"api-0"}}, Start: 20 * sim.Second, Duration: 30 * sim.Second}}
	tl, err := sched.Install(w)
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Start(sim.Minute)
	w.Eng.Run(sim.Minute)
	for _, win := range tl.Windows() {
		fmt.Println(win.Kind, win.Targets, win.Start, win.End)
	}
	fmt.Println("api-0 served", w.Replicas[0].Served, "api-1 served", w.Replicas[1].Served)
	// Output:
	// flap [api-0] 20s 50s
	// api-0 served 541 api-1 served 60
}

// firstHealthy routes every request to the first healthy replica.
func firstHealthy(*rand.Rand) topology.Picker {
	return topology.PickerFunc(func(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
		for i := range eps.Len() {
			if eps.Healthy(i) {
				return i
			}
		}
		return -1
	})
}
