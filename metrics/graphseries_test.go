package metrics

import (
	"math"
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// hopTally is the naive oracle of the graph series: every request kept,
// by the bucket it ended in (the first bucket whose end is not before
// its end), per flow.
type hopTally struct {
	interval, horizon sim.Time
	w                 *topology.World
	ended             map[string]map[int][]*topology.Request // flow → bucket → requests
}

func (h *hopTally) keep(now sim.Time, flow string, r *topology.Request) {
	if now > h.horizon {
		return
	}
	k := int((now+h.interval-1)/h.interval) - 1
	if h.ended[flow] == nil {
		h.ended[flow] = map[int][]*topology.Request{}
	}
	c := *r
	h.ended[flow][k] = append(h.ended[flow][k], &c)
}

func (h *hopTally) RequestEnded(now sim.Time, r *topology.Request) {
	c := h.w.Clients[r.Client]
	h.keep(now, EdgeName(c.Name, c.Target.Name), r)
	h.keep(now, c.Target.Name, r)
}

func (h *hopTally) HopEnded(now sim.Time, e *topology.CallEdge, r *topology.Request) {
	h.keep(now, EdgeName(e.From.Name, e.To.Name), r)
	h.keep(now, e.To.Name, r)
}

// TestGraphSeriesMatchesNaiveTally runs a three-service graph with
// retries, errors and a crash, and checks every bucket of every service's
// and edge's series against requests kept one by one: counts, success,
// attempts and timeouts exactly, p99 within the sketch's 1% of the exact
// quantile, and replicas_up against the crash window.
func TestGraphSeriesMatchesNaiveTally(t *testing.T) {
	spec := topology.Spec{
		Places: []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{
			{Name: "front", Replicas: 2, Concurrency: 20, QueueCapacity: 50, ServiceTime: sim.Exponential{M: 0.002},
				Calls: []topology.Step{{{Service: 1}, {Service: 2, Optional: true, Timeout: 30 * sim.Millisecond}}}},
			{Name: "mid", Replicas: 2, Concurrency: 10, QueueCapacity: 50, ServiceTime: sim.Exponential{M: 0.004}, ErrorRate: 0.1,
				Calls: []topology.Step{{{Service: 2}}}},
			{Name: "db", Replicas: 2, Concurrency: 4, QueueCapacity: 20, ServiceTime: sim.Exponential{M: 0.01}, ErrorRate: 0.05},
		},
		Clients: []topology.ClientSpec{{Name: "users", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 80}}, Callers: 2, Timeout: 500 * sim.Millisecond}},
	}
	const interval, horizon = 5 * sim.Second, 60 * sim.Second
	w, err := topology.New(spec, topology.Routing{Caller: firstHost, Retry: topology.RetryPolicy{Attempts: 3, On: topology.RetryErrors}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(w, Config{Horizon: horizon, SeriesInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	oracle := &hopTally{interval: interval, horizon: horizon, w: w, ended: map[string]map[int][]*topology.Request{}}
	w.Observe(oracle)
	w.ObserveHops(oracle)
	var restart func()
	db1 := w.Services[2].Replicas[1]
	kc := w.Eng.Handle("test.crash", func(uint64) { restart = w.Crash(db1) })
	kr := w.Eng.Handle("test.restart", func(uint64) { restart() })
	w.Eng.At(21*sim.Second, topology.ClassFault, kc, 0)
	w.Eng.At(38*sim.Second, topology.ClassFault, kr, 0)
	w.Start(horizon)
	w.Eng.Run(horizon)
	w.Drain(sim.Minute)

	g := rec.Graph()
	if g == nil {
		t.Fatal("no graph series in a world with calls")
	}
	if len(g.Time) != int(horizon/interval) {
		t.Fatalf("%d buckets, want %d", len(g.Time), horizon/interval)
	}
	var names []string
	for _, f := range append(slices.Clone(g.Services), g.Edges...) {
		names = append(names, f.Name)
	}
	if want := []string{"front", "mid", "db", "users->front", "front->mid", "front->db", "mid->db"}; !slices.Equal(names, want) {
		t.Fatalf("flows %v, want %v", names, want)
	}
	checked := 0
	var sawRetry, sawFailure, sawTimeout bool
	for _, f := range append(slices.Clone(g.Services), g.Edges...) {
		for k := range g.Time {
			rs := oracle.ended[f.Name][k]
			var ok, attempts, timeouts float64
			var lats []float64
			for _, r := range rs {
				attempts += float64(r.Attempts())
				switch r.Outcome {
				case topology.Success:
					ok++
				case topology.Timeout:
					timeouts++
				}
				if r.Outcome == topology.Success || r.Outcome == topology.Error {
					lats = append(lats, r.Latency().Seconds())
				}
			}
			n := float64(len(rs))
			width := interval.Seconds()
			near := func(name string, got, want float64) {
				t.Helper()
				if math.IsNaN(want) != math.IsNaN(got) || math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
					t.Errorf("%s bucket %d %s = %g, want %g", f.Name, k, name, got, want)
				}
			}
			near("request_rate", f.Of("request_rate")[k], n/width)
			near("success_rate", f.Of("success_rate")[k], ok/n)
			near("attempts_per_call", f.Of("attempts_per_call")[k], attempts/n)
			near("timeouts", f.Of("timeouts")[k], timeouts)
			p99 := f.Of("latency_p99")[k]
			if len(lats) == 0 {
				if !math.IsNaN(p99) {
					t.Errorf("%s bucket %d: p99 %g without responses", f.Name, k, p99)
				}
			} else {
				slices.Sort(lats)
				r := 0.99 * float64(len(lats)-1)
				lo, hi := lats[int(math.Floor(r))], lats[int(math.Ceil(r))]
				if p99 < lo*(1-RelativeAccuracy)-1e-12 || p99 > hi*(1+RelativeAccuracy)+1e-12 {
					t.Errorf("%s bucket %d: p99 %g outside [%g, %g] ± 1%%", f.Name, k, p99, lo, hi)
				}
			}
			checked += len(rs)
			sawRetry = sawRetry || attempts > n
			sawFailure = sawFailure || ok < n
			sawTimeout = sawTimeout || timeouts > 0
		}
	}
	if checked < 10000 || !sawRetry || !sawFailure || !sawTimeout {
		t.Fatalf("%d requests checked (retries %v, failures %v, timeouts %v): the scenario does not exercise the series", checked, sawRetry, sawFailure, sawTimeout)
	}
	for k, end := range g.Time {
		want := 2.0
		if end > 21 && end < 38 {
			want = 1
		}
		if got := g.Services[2].Of("replicas_up")[k]; got != want {
			t.Errorf("db replicas_up at %gs = %g, want %g", end, got, want)
		}
	}
}

// A world without calls has no graph series, and one with calls but no
// series has none either.
func TestGraphSeriesOnlyWithCallsAndSeries(t *testing.T) {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "s", Replicas: 1, Concurrency: 1, ServiceTime: sim.Exponential{M: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1}},
	}
	for _, c := range []struct {
		name   string
		calls  bool
		series sim.Time
		want   bool
	}{{"no calls", false, sim.Second, false}, {"calls, no series", true, 0, false}, {"calls and series", true, sim.Second, true}} {
		s := spec
		s.Services = slices.Clone(spec.Services)
		if c.calls {
			s.Services = append(s.Services, topology.ServiceSpec{Name: "t", Replicas: 1, Concurrency: 1, ServiceTime: sim.Exponential{M: 0.1}})
			s.Services[0].Calls = []topology.Step{{{Service: 1}}}
		}
		w, err := topology.New(s, topology.Routing{Caller: firstHost}, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := NewRecorder(w, Config{Horizon: 10 * sim.Second, SeriesInterval: c.series})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Graph() != nil; got != c.want {
			t.Errorf("%s: graph series %v, want %v", c.name, got, c.want)
		}
	}
}

// An entry through the region-picking edge is marked as one, and so is a
// declared edge gateway's service.
func TestGraphSeriesMarksGateways(t *testing.T) {
	spec := topology.Spec{
		Places: []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{
			{Name: "s", Replicas: 1, Concurrency: 1, ServiceTime: sim.Exponential{M: 0.1}, Calls: []topology.Step{{{Service: 1}}}},
			{Name: "t", Replicas: 1, Concurrency: 1, ServiceTime: sim.Exponential{M: 0.1}},
		},
		Clients: []topology.ClientSpec{
			{Name: "direct", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1},
			{Name: "gw", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1, Edge: true},
			{Name: "declared", Service: 2, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1},
		},
		Edges: []topology.EdgeSpec{{Name: "front", Target: 0, Replicas: 1, Concurrency: 4, QueueCapacity: 0, Timeout: 15 * sim.Second}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: firstHost, Edge: firstHost}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(w, Config{Horizon: 10 * sim.Second, SeriesInterval: sim.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := rec.Graph()
	if g.Edges[0].Gateway || !g.Edges[1].Gateway || g.Edges[2].Gateway {
		t.Errorf("gateways: %v %v %v, want false true false", g.Edges[0].Gateway, g.Edges[1].Gateway, g.Edges[2].Gateway)
	}
	// a declared edge gateway is a service of the graph, marked as one
	var marked []string
	for _, f := range g.Services {
		if f.Gateway {
			marked = append(marked, f.Name)
		}
	}
	if len(marked) != 1 || marked[0] != "front" {
		t.Errorf("services marked as edge gateways: %v, want [front]", marked)
	}
}
