package topology

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
)

// behindEdge is a client of rate λ entering through edge e, which forwards
// to app (work as given, ample slots).
func behindEdge(rate float64, arrival ArrivalKind, e EdgeSpec, app sim.Dist) Spec {
	e.Name, e.Target = "gw", 0
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "app", Replicas: 1, Concurrency: 1000, QueueCapacity: Unbounded, ServiceTime: app}},
		Edges:    []EdgeSpec{e},
		Clients:  []ClientSpec{{Name: "users", Service: 1, Arrival: arrival, Rate: RateProfile{{0, rate}}, Callers: 1}},
	}
}

// erlangC is the probability an arrival waits in an M/M/c queue with
// offered load a = λ/μ (a < c).
func erlangC(c int, a float64) float64 {
	sum, term := 0.0, 1.0
	for k := 0; k < c; k++ {
		sum += term
		term *= a / float64(k+1)
	}
	last := term * float64(c) / (float64(c) - a) // a^c/c! · c/(c−a)
	return last / (sum + last)
}

// waits records the queue wait of every answered client request after a
// warm-up, in arrival order of their ends.
type waits struct {
	warmup sim.Time
	w      []float64
}

func (x *waits) RequestEnded(_ sim.Time, r *Request) {
	if r.Arrived >= x.warmup && r.Outcome == Success {
		x.w = append(x.w, r.Waited.Seconds())
	}
}

// An edge with c slots, exponential work of mean 1 s and an unbounded
// queue, in front of a service that answers at once, is an M/M/c queue:
// c = 3, λ = 2.1/s (ρ = 0.7). Its mean wait is Erlang C's
// C(3, 2.1)/(cμ − λ) = 0.4923/0.9 = 0.547 s and the chance of waiting
// C(3, 2.1) = 0.492. About 840 000 requests after a 1000 s warm-up; the
// tolerance is four standard errors of the mean measured by 20 batch
// means (the batches are ~42 000 requests, far longer than the waits'
// correlation at ρ = 0.7), and the test fails if that error is above 2%.
func TestEdgeQueueIsMMc(t *testing.T) {
	const c, lambda = 3, 2.1
	w, err := New(behindEdge(lambda, Poisson, EdgeSpec{Replicas: 1, Concurrency: c, QueueCapacity: Unbounded, ServiceTime: sim.Exponential{M: 1}},
		sim.Constant{}), Routing{Caller: roundRobin}, 5)
	must(t, err)
	x := &waits{warmup: 1000 * sim.Second}
	w.Observe(x)
	w.Start(401000 * sim.Second)
	w.Eng.Run(401000 * sim.Second)
	w.Drain(sim.Hour)
	pc := erlangC(c, lambda)
	wantW := pc / (c - lambda)
	const batches = 20
	n := len(x.w) / batches
	var means [batches]float64
	total, waited := 0.0, 0
	for b := range batches {
		for _, v := range x.w[b*n : (b+1)*n] {
			means[b] += v / float64(n)
			if v > 0 {
				waited++
			}
		}
		total += means[b] / batches
	}
	ss := 0.0
	for _, m := range means {
		ss += (m - total) * (m - total)
	}
	se := math.Sqrt(ss/(batches-1)) / math.Sqrt(batches)
	if se > 0.02*wantW {
		t.Fatalf("standard error %.4f s is above 2%% of %.4f s: run longer", se, wantW)
	}
	if math.Abs(total-wantW) > 4*se {
		t.Fatalf("mean wait at the edge %.4f s, Erlang C says %.4f s (4 standard errors: %.4f s)", total, wantW, 4*se)
	}
	near(t, pc, float64(waited)/float64(batches*n), 0.03, "probability of waiting at the edge")
	t.Logf("mean wait %.4f s (Erlang C %.4f s, se %.4f s), P(wait) %.4f (%.4f), %d requests", total, wantW, se, float64(waited)/float64(batches*n), pc, len(x.w))
}

// outcomes counts a record's requests by outcome and cause.
func outcomes(rec *record) map[[2]string]int {
	m := map[[2]string]int{}
	for _, r := range rec.ended {
		m[[2]string{r.Outcome.String(), r.Cause.String()}]++
	}
	return m
}

// An edge with one slot and a queue of one, in front of a service taking
// 10 s: requests arrive at 1, 2, 3 and 4 s. The first holds the slot while
// its upstream works, the second waits, the third and fourth are refused
// at once (Envoy's overload 503).
func TestEdgeRejectsWhenFull(t *testing.T) {
	w, rec := build(t, behindEdge(1, Constant, EdgeSpec{Replicas: 1, Concurrency: 1, QueueCapacity: 1}, sim.Constant{V: 10}))
	w.Start(4500 * sim.Millisecond)
	w.Eng.Run(sim.Hour)
	w.Drain(sim.Hour)
	got := outcomes(rec)
	same(t, 2, got[[2]string{"success", "none"}], "answered")
	same(t, 2, got[[2]string{"rejected", "queue_full"}], "refused by the edge")
	for _, r := range rec.ended {
		if r.Outcome == Rejected && r.Latency() != 0 {
			t.Fatalf("a refusal took %v: the edge refuses at once", r.Latency())
		}
		if r.ID == 2 && (r.Latency() != 19*sim.Second || r.Waited != 9*sim.Second) {
			t.Fatalf("the queued request took %v (waited %v), want 19 s (9 s)", r.Latency(), r.Waited)
		}
	}
}

// A crash of the edge at 5 s drops what it holds: the request waiting on
// its upstream and the three queued behind it (connection resets); the
// request arriving meanwhile finds no edge; after the restart at 6 s the
// edge serves again. The upstream call of the first request runs on and
// its result is discarded.
func TestEdgeCrashDropsInFlight(t *testing.T) {
	w, rec := build(t, behindEdge(1, Constant, EdgeSpec{Replicas: 1, Concurrency: 1, QueueCapacity: Unbounded}, sim.Constant{V: 10}))
	at(w, 5*sim.Second, func() {
		restart := w.Crash(w.Services[1].Replicas[0])
		at(w, 6*sim.Second, restart)
	})
	w.Start(6500 * sim.Millisecond)
	w.Eng.Run(sim.Hour)
	w.Drain(sim.Hour)
	got := outcomes(rec)
	same(t, 4, got[[2]string{"dropped", "host_down"}], "dropped by the crash")
	same(t, 1, got[[2]string{"dropped", "no_host"}], "arriving while the edge is down")
	same(t, 1, got[[2]string{"success", "none"}], "served after the restart")
	conserved(t, w)
	same(t, uint64(2), w.CallEdges()[0].Ended[Success], "upstream calls that ended (one discarded)")
}

// The edge's retries and route timeout are its own: the mesh's policy (5
// attempts on errors) applies neither to the client → edge hop (no
// retries) nor to the edge → app hop, which retries as the edge says.
func TestEdgeRetriesAndTimeoutAreItsOwn(t *testing.T) {
	mesh := Routing{Caller: roundRobin, Retry: RetryPolicy{Attempts: 5, On: RetryErrors}}
	for _, tc := range []struct {
		name          string
		retry         *RetryPolicy
		perCall       uint64 // attempts at app per request
		app           sim.Dist
		timeout       sim.Time
		latency       sim.Time
		outcome       Outcome
		appErrorRate  float64
		upstreamEnded Outcome
	}{
		{name: "no retries", perCall: 1, app: sim.Constant{V: 1}, latency: sim.Second, outcome: Error, appErrorRate: 1, upstreamEnded: Error},
		{name: "three attempts", retry: &RetryPolicy{Attempts: 3, On: RetryErrors}, perCall: 3, app: sim.Constant{V: 1}, latency: 3 * sim.Second, outcome: Error, appErrorRate: 1, upstreamEnded: Error},
		{name: "route timeout", perCall: 1, app: sim.Constant{V: 10}, timeout: 2 * sim.Second, latency: 2 * sim.Second, outcome: Error, upstreamEnded: Timeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := behindEdge(1, Constant, EdgeSpec{Replicas: 1, Concurrency: 10, QueueCapacity: Unbounded, Retry: tc.retry, Timeout: tc.timeout}, tc.app)
			spec.Services[0].ErrorRate = tc.appErrorRate
			w, err := New(spec, mesh, 3)
			must(t, err)
			rec := &record{}
			w.Observe(rec)
			w.Start(3500 * sim.Millisecond)
			w.Eng.Run(sim.Hour)
			w.Drain(sim.Hour)
			same(t, 3, len(rec.ended), "requests")
			for _, r := range rec.ended {
				same(t, tc.outcome, r.Outcome, "outcome")
				same(t, 1, r.Attempts(), "client attempts to the edge")
				same(t, tc.latency, r.Latency(), "latency")
			}
			e := w.CallEdges()[0]
			same(t, "gw->app", e.Client.Name, "the edge's hop")
			same(t, 3*tc.perCall, e.Client.Attempts, "attempts at app")
			same(t, uint64(3), e.Ended[tc.upstreamEnded], "upstream calls by outcome")
		})
	}
}

// A world's replicas and services keep their numbers when edges are
// added, the edge is the service after them, and a spec's slices are not
// changed by New.
func TestEdgesAreAdditive(t *testing.T) {
	spec := behindEdge(1, Constant, EdgeSpec{Replicas: 2, Concurrency: 1}, sim.Constant{V: 1})
	w, err := New(spec, Routing{Caller: roundRobin}, 1)
	must(t, err)
	same(t, 1, len(spec.Services), "the spec's services")
	same(t, 2, len(w.Services), "the world's services")
	same(t, true, w.Services[1].Edge, "the edge's service")
	same(t, "gw-1", w.Replicas[2].Name, "the edge's second instance")
	same(t, 1, len(w.EdgeNodes()), "edge nodes")
	for _, bad := range []EdgeSpec{{Name: "app", Replicas: 1, Concurrency: 1}, {Name: "x", Replicas: 0, Concurrency: 1}, {Name: "x", Replicas: 1, Concurrency: 0}, {Name: "x", Replicas: 1, Concurrency: 1, Target: 7}} {
		s := spec
		s.Edges = []EdgeSpec{bad}
		if _, err := New(s, Routing{Caller: roundRobin}, 1); err == nil {
			t.Fatalf("edge %+v was accepted", bad)
		}
	}
}

// TestEdgeConservation: whatever the graph behind an edge, the edge's
// capacity, queue, timeout and retries, and crashes and pauses of any
// replica or edge instance, every client request ends exactly once (a
// naive oracle: counting), every call ends once and no slot stays held.
func TestEdgeConservation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := drawGraph(t)
		e := EdgeSpec{
			Name: "gw", Target: 0, Replicas: rapid.IntRange(1, 3).Draw(t, "edge-replicas"),
			Concurrency:   rapid.IntRange(1, 8).Draw(t, "edge-concurrency"),
			QueueCapacity: rapid.SampledFrom([]int{Unbounded, 0, 3}).Draw(t, "edge-queue"),
			Timeout:       sim.Time(rapid.IntRange(0, 300).Draw(t, "route-timeout")) * sim.Millisecond,
		}
		if rapid.Bool().Draw(t, "edge-work") {
			e.ServiceTime = sim.Exponential{M: 0.002}
		}
		if rapid.Bool().Draw(t, "edge-retries") {
			e.Retry = &RetryPolicy{Attempts: rapid.IntRange(2, 4).Draw(t, "edge-attempts"), On: RetryErrors | RetryRejected | RetryReset | RetryTimeout,
				PerTryTimeout: sim.Time(rapid.IntRange(0, 100).Draw(t, "edge-per-try")) * sim.Millisecond}
		}
		spec.Edges = []EdgeSpec{e}
		spec.Clients[0].Service = len(spec.Services)
		routing := Routing{Caller: roundRobin, Deadlines: rapid.Bool().Draw(t, "deadlines")}
		if rapid.Bool().Draw(t, "retries") {
			routing.Retry = RetryPolicy{Attempts: rapid.IntRange(2, 4).Draw(t, "attempts"), On: RetryErrors | RetryRejected | RetryReset | RetryTimeout}
		}
		w, err := New(spec, routing, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		const horizon = 3 * sim.Second
		drawFaults(t, w, 2500*sim.Millisecond)
		rec := &record{}
		w.Observe(rec)
		w.Start(horizon)
		w.Eng.Run(horizon)
		w.Drain(sim.Time(rapid.IntRange(0, 2000).Draw(t, "drain")) * sim.Millisecond)
		if w.InFlight() != 0 {
			t.Fatalf("%d requests left in flight", w.InFlight())
		}
		seen := map[uint64]bool{}
		for _, r := range rec.ended {
			if seen[r.ID] {
				t.Fatalf("request %d ended twice", r.ID)
			}
			seen[r.ID] = true
			if r.Attempts() > 1 {
				t.Fatalf("request %d made %d attempts to the edge, which takes no retries", r.ID, r.Attempts())
			}
		}
		if got, want := uint64(len(rec.ended)), w.Clients[0].Generated; got != want {
			t.Fatalf("%d client requests ended, %d generated", got, want)
		}
		for _, ce := range w.CallEdges() {
			var ended uint64
			for _, n := range ce.Ended {
				ended += n
			}
			if ended != ce.Client.Generated {
				t.Fatalf("edge %s: %d calls ended, %d made", ce.Client.Name, ended, ce.Client.Generated)
			}
		}
		if g := w.graph; g != nil && g.frames.Live() != 0 {
			t.Fatalf("%d attempts still waiting on their calls", g.frames.Live())
		}
		for _, rep := range w.Replicas {
			if rep.held != 0 {
				t.Fatalf("%s holds %d slots after the run", rep.Name, rep.held)
			}
		}
	})
}
