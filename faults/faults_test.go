package faults

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func firstHealthy(*rand.Rand) topology.Picker {
	return topology.PickerFunc(func(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
		for i := 0; i < eps.Len(); i++ {
			if eps.Healthy(i) {
				return i
			}
		}
		return -1
	})
}

func world(t *testing.T) *topology.World {
	t.Helper()
	spec := topology.Spec{
		Places: []topology.Place{{Region: "east", Zone: "a"}, {Region: "east", Zone: "b"}, {Region: "west", Zone: "a"}},
		Services: []topology.ServiceSpec{
			{Name: "api", Replicas: 6, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 1}, Places: []topology.PlaceID{0, 1, 2}},
			{Name: "db", Replicas: 2, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 1}},
		},
		Clients: []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: 0.5}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: firstHealthy}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func names(w *topology.World, tg Targets) []string { return tg.Names(w) }

func TestSelectorFiltersAndModes(t *testing.T) {
	w := world(t)
	rng := sim.NewStream(1, "t")
	cases := []struct {
		sel  Selector
		kind TargetKind
		want int
		all  []string
	}{
		{Selector{Service: "api"}, Replicas, 6, nil},
		{Selector{}, Replicas, 8, nil},
		{Selector{Service: "api", Region: "east"}, Replicas, 4, []string{"api-0", "api-1", "api-3", "api-4"}},
		{Selector{Zone: "west/a"}, Replicas, 2, []string{"api-2", "api-5"}},
		{Selector{Names: []string{"db-1", "api-0"}}, Replicas, 2, []string{"api-0", "db-1"}},
		{Selector{Service: "api", Mode: One}, Replicas, 1, nil},
		{Selector{Service: "api", Mode: Count, Value: 4}, Replicas, 4, nil},
		{Selector{Service: "api", Mode: Count, Value: 40}, Replicas, 6, nil},
		{Selector{Service: "api", Mode: Percent, Value: 50}, Replicas, 3, nil},
		{Selector{Service: "api", Mode: Percent, Value: 10}, Replicas, 1, nil}, // rounded down, at least one
		{Selector{Region: "east"}, Places, 2, []string{"east/a", "east/b"}},
		{Selector{Names: []string{"west"}}, Places, 1, []string{"west/a"}},
	}
	for _, c := range cases {
		got := names(w, c.sel.Resolve(w, c.kind, rng))
		if len(got) != c.want || (c.all != nil && !slices.Equal(got, c.all)) {
			t.Errorf("%v (%v): got %v, want %d targets %v", c.sel, c.kind, got, c.want, c.all)
		}
	}
	// The same stream state gives the same random choice.
	a := names(w, Selector{Service: "api", Mode: Count, Value: 3}.Resolve(w, Replicas, sim.NewStream(5, "x")))
	b := names(w, Selector{Service: "api", Mode: Count, Value: 3}.Resolve(w, Replicas, sim.NewStream(5, "x")))
	if !slices.Equal(a, b) {
		t.Errorf("random resolution is not reproducible: %v vs %v", a, b)
	}
}

func TestScheduleWindowsAndComposition(t *testing.T) {
	w := world(t)
	crash, _ := Lookup("crash")
	pause, _ := Lookup("pause")
	api0 := Selector{Names: []string{"api-0"}}
	sched := Schedule{
		{Def: pause, Target: api0, Start: 10 * sim.Second, Duration: 30 * sim.Second},
		{Def: crash, Target: api0, Start: 20 * sim.Second, Duration: 5 * sim.Second},
		{Def: crash, Target: Selector{Service: "db"}, Start: 50 * sim.Second}, // permanent
	}
	tl, err := sched.Install(w)
	if err != nil {
		t.Fatal(err)
	}
	rep := w.Replicas[0]
	var states []topology.NodeState
	probe := w.Eng.Handle("probe", func(uint64) { states = append(states, rep.State) })
	for _, s := range []sim.Time{5, 15, 22, 30, 45} {
		w.Eng.At(s*sim.Second, topology.ClassObserve, probe, 0)
	}
	w.Start(60 * sim.Second)
	w.Eng.Run(60 * sim.Second)
	want := []topology.NodeState{topology.Up, topology.Paused, topology.Down, topology.Paused, topology.Up}
	if !slices.Equal(states, want) {
		t.Fatalf("api-0 states %v, want %v (a crash inside a pause, then the pause resuming)", states, want)
	}
	wins := tl.Windows()
	if len(wins) != 3 || wins[0].Start != 10*sim.Second || wins[0].End != 40*sim.Second ||
		wins[2].End != sim.Never || !slices.Equal(wins[2].Targets, []string{"db-0", "db-1"}) {
		t.Fatalf("windows %+v", wins)
	}
	if w.Replicas[6].State != topology.Down {
		t.Fatal("permanent crash of db did not hold")
	}
}

func TestRegistry(t *testing.T) {
	for _, d := range Defs() {
		if d.Description == "" || d.Source == "" || d.Build == nil {
			t.Errorf("fault kind %s is incompletely declared", d.Name)
		}
		if _, err := d.Build(d.Params.Defaults()); err != nil {
			t.Errorf("%s with default parameters: %v", d.Name, err)
		}
	}
	if _, ok := Lookup("crash"); !ok {
		t.Fatal("crash not registered")
	}
}
