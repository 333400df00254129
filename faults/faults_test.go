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

func TestPartitionShapes(t *testing.T) {
	ids := func(n int) []topology.PlaceID {
		var p []topology.PlaceID
		for i := 0; i < n; i++ {
			p = append(p, topology.PlaceID(i))
		}
		return p
	}
	reach := func(shape string, targets []topology.PlaceID, n int) [][]bool {
		ok := make([][]bool, n)
		for i := range ok {
			ok[i] = make([]bool, n)
			for j := range ok[i] {
				ok[i][j] = true
			}
		}
		for _, c := range Cuts(shape, targets, n) {
			ok[c[0]][c[1]], ok[c[1]][c[0]] = false, false
		}
		return ok
	}
	// isolate one of five: it reaches nobody, the others reach each other.
	r := reach("isolate", []topology.PlaceID{2}, 5)
	for j := 0; j < 5; j++ {
		if j != 2 && (r[2][j] || !r[0][j]) {
			t.Fatalf("isolate: %v", r)
		}
	}
	// halves of five: {0,1} | {2,3,4}.
	r = reach("halves", ids(5), 5)
	if r[0][2] || r[1][4] || !r[0][1] || !r[2][4] {
		t.Fatalf("halves: %v", r)
	}
	// bridge of five: {0,1} | 2 | {3,4}: 2 reaches everyone, the sides not each other.
	r = reach("bridge", ids(5), 5)
	if !r[2][0] || !r[2][4] || r[0][3] || r[1][4] {
		t.Fatalf("bridge: %v", r)
	}
	// majorities-ring: every node sees a majority (itself included), and
	// no two nodes see the same set.
	for _, n := range []int{5, 7, 9} {
		r = reach("majorities-ring", ids(n), n)
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			k, key := 0, ""
			for j := 0; j < n; j++ {
				if r[i][j] {
					k++
					key += "1"
				} else {
					key += "0"
				}
			}
			if k <= n/2 || seen[key] {
				t.Fatalf("majorities-ring n=%d: node %d sees %d (%s)", n, i, k, key)
			}
			seen[key] = true
		}
	}
}

func TestSignalFaultsBuild(t *testing.T) {
	for _, c := range []struct {
		kind string
		p    sim.Params
		ok   bool
	}{
		{"stale-signals", sim.Params{"delay": sim.Time(0)}, false},
		{"stale-signals", sim.Params{"delay": sim.Time(0), "freeze": true}, true},
		{"metric-poisoning", sim.Params{"mode": "scale", "value": -1.0}, false},
		{"metric-poisoning", sim.Params{"mode": "offset", "value": -1.0}, true},
		{"degradation", sim.Params{"slowdown": 1.0}, false},
		{"link", sim.Params{"latency": sim.Time(0)}, false},
	} {
		d, _ := Lookup(c.kind)
		p, err := d.Params.Complete(c.p)
		if err == nil {
			_, err = d.Build(p)
		}
		if (err == nil) != c.ok {
			t.Errorf("%s %v: error %v, want ok=%v", c.kind, c.p, err, c.ok)
		}
	}
}

func TestMetricPoisoningRewritesLoad(t *testing.T) {
	w := world(t)
	w.Bus.Spec = topology.BusSpec{Interval: sim.Second}
	d, _ := Lookup("metric-poisoning")
	for _, c := range []struct {
		mode  string
		value float64
		in    float64
		want  float64
	}{{"scale", 0.5, 4, 2}, {"offset", -3, 2, 0}, {"constant", 7, 2, 7}, {"inverted", 10, 4, 6}} {
		inj, err := d.Build(sim.Params{"mode": c.mode, "value": c.value})
		if err != nil {
			t.Fatal(err)
		}
		rev := inj.Inject(w, Targets{Replicas: w.Replicas[:1], Rand: sim.NewStream(1, "p")})
		_ = rev
		// The tamper is registered on the bus; apply it as a measurement would.
		s := topology.Signal{Value: c.in, Utilization: 0.8, Valid: true}
		got := w.Bus.Poisoned(w.Replicas[0], s)
		rev()
		if got.Value != c.want {
			t.Errorf("%s %g on %g = %g, want %g", c.mode, c.value, c.in, got.Value, c.want)
		}
	}
}
