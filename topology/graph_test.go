package topology

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// chain is a spec of services in a line, each calling the next once;
// services[0] serves a Poisson (or constant) client of rate λ.
func chain(rate float64, arrival ArrivalKind, services ...ServiceSpec) Spec {
	for i := range services[:len(services)-1] {
		services[i].Calls = []Step{{{Service: i + 1}}}
	}
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: services,
		Clients:  []ClientSpec{{Name: "users", Service: 0, Arrival: arrival, Rate: RateProfile{{0, rate}}, Callers: 1}},
	}
}

// must fails the test at once on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// same fails the test when got differs from want.
func same[T comparable](t *testing.T, want, got T, what string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// near fails the test when got is not within rel of want.
func near(t *testing.T, want, got, rel float64, what string) {
	t.Helper()
	if math.Abs(got-want) > rel*want {
		t.Fatalf("%s: got %.4f, want %.4f within %g%%", what, got, want, 100*rel)
	}
}

func station(name string, conc int, d sim.Dist) ServiceSpec {
	return ServiceSpec{Name: name, Replicas: 1, Concurrency: conc, QueueCapacity: Unbounded, ServiceTime: d}
}

// run runs w to horizon, drains it and returns the client tally.
func run(t *testing.T, w *World, warmup, horizon sim.Time) *tally {
	t.Helper()
	tl := &tally{warmup: warmup}
	w.Observe(tl)
	w.Start(horizon)
	w.Eng.Run(horizon)
	w.Drain(sim.Hour)
	same(t, 0, w.InFlight(), "requests, hops included, left in flight")
	return tl
}

// conserved checks that every hop request of every edge ended exactly once
// and that each edge's attempts reached its callee.
func conserved(t *testing.T, w *World) {
	t.Helper()
	for _, e := range w.CallEdges() {
		var ended uint64
		for _, n := range e.Ended {
			ended += n
		}
		same(t, e.Client.Generated, ended, "edge "+e.Client.Name+": calls ended, against calls made")
		if e.Client.Attempts < e.Client.Generated-e.Ended[Dropped] {
			t.Fatalf("edge %s: %d attempts for %d calls sent", e.Client.Name, e.Client.Attempts, e.Client.Generated-e.Ended[Dropped])
		}
	}
}

// Two M/M/1 stations in series (a tandem Jackson network), λ = 0.5/s and
// μ = 1/s each, the first non-blocking so it is free once its own work is
// done: each station's mean sojourn is 1/(μ−λ) = 2 s, end to end 4 s.
// 100 000 requests after a 1000 s warm-up give a standard error of the
// mean near 0.7% (sojourns at ρ = 0.5 decorrelate within tens of
// requests), so 3% is over four standard errors.
func TestTandemJacksonNetwork(t *testing.T) {
	front := station("front", 1, sim.Exponential{M: 1})
	front.NonBlocking = true
	w, err := New(chain(0.5, Poisson, front, station("back", 1, sim.Exponential{M: 1})), Routing{Caller: roundRobin}, 11)
	must(t, err)
	tl := run(t, w, 1000*sim.Second, 200000*sim.Second)
	same(t, int(w.Clients[0].Generated), tl.n[Success], "successes")
	t.Logf("mean end-to-end time %.4f s over %d requests", tl.sojourn/float64(tl.measured), tl.measured)
	near(t, 4, tl.sojourn/float64(tl.measured), 0.03, "mean end-to-end time (s)")
	conserved(t, w)
	same(t, w.Clients[0].Generated, w.Services[1].Replicas[0].Served, "calls served: one per request")
}

// A parent with ample capacity and no work of its own calls k = 10
// replicas' worth of an Exp(1 s) service in one parallel group: it waits
// for the slowest, E[max] = H₁₀ = 2.929 s. Var(max) = Σ 1/k² = 1.55 s², so
// 20 000 requests give a standard error of 0.3%: 3% is ten of them.
func TestParallelFanOutWaitsForTheSlowest(t *testing.T) {
	const k = 10
	step := make(Step, k)
	for i := range step {
		step[i] = Call{Service: 1}
	}
	parent := station("parent", 100000, sim.Constant{V: 0})
	parent.Calls = []Step{step}
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{parent, station("leaf", 100000, sim.Exponential{M: 1})},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Rate: RateProfile{{0, 10}}, Callers: 1}},
	}
	w, err := New(spec, Routing{Caller: roundRobin}, 5)
	must(t, err)
	tl := run(t, w, 0, 2000*sim.Second)
	h := 0.0
	for i := 1; i <= k; i++ {
		h += 1 / float64(i)
	}
	t.Logf("mean wait %.4f s over %d requests (H10 = %.4f s)", tl.sojourn/float64(tl.measured), tl.measured, h)
	near(t, h, tl.sojourn/float64(tl.measured), 0.03, "mean wait (s) against H10")
	same(t, k*w.Clients[0].Generated, w.Services[1].Replicas[0].Served, "leaf calls served")
	conserved(t, w)
}

// Three layers each retrying 3 times (4 attempts) over an always-failing
// bottom: every top-level request makes 4 attempts at the first service,
// each of which makes 4 at the second, each of which makes 4 at the
// bottom: 4³ = 64 bottom attempts per request, exactly.
func TestRetriesAmplifyAcrossLayers(t *testing.T) {
	bottom := station("bottom", 1000, sim.Constant{V: 0.01})
	bottom.ErrorRate = 1
	spec := chain(1, Constant, station("top", 1000, sim.Constant{V: 0}), station("mid", 1000, sim.Constant{V: 0}), bottom)
	retry := RetryPolicy{Attempts: 4, On: RetryErrors}
	w, err := New(spec, Routing{Caller: roundRobin, Retry: retry}, 3)
	must(t, err)
	tl := run(t, w, 0, 100*sim.Second)
	top := w.Clients[0].Generated
	same(t, int(top), tl.n[Error], "failed requests")
	same(t, 64*top, w.Services[2].Replicas[0].Served, "bottom attempts")
	same(t, 16*top, w.Services[1].Replicas[0].Served, "middle attempts")
	same(t, 4*top, w.Services[0].Replicas[0].Served, "top attempts")
	conserved(t, w)
}

// The same three layers with Envoy retry budgets (budget_percent 20%,
// min_retry_concurrency 3: the defaults, cluster.proto RetryBudget): a
// sidecar admits a retry only while its retries in flight are below 20%
// of its outstanding attempts, which include them, so retries run at
// about 0.2/(1−0.2) = 25% of first tries and each layer amplifies about
// 1.25×: 1.25³ = 1.953 bottom attempts per request instead of 64. The
// budget holds at the instants retries are admitted; first tries ending
// in between lower the count while admitted retries run on, so a layer
// measures up to 2.5% over 1.25 (1.276, 1.266, 1.252 from top to bottom
// at this seed, the same at 500/s): the test allows 3% per layer. At
// 2000 requests/s each sidecar carries hundreds of attempts, so the floor
// of 3 retries never binds.
func TestRetryBudgetsBoundAmplification(t *testing.T) {
	bottom := station("bottom", 100000, sim.Constant{V: 0.1})
	bottom.ErrorRate = 1
	spec := chain(2000, Poisson, station("top", 100000, sim.Constant{V: 0.05}), station("mid", 100000, sim.Constant{V: 0.05}), bottom)
	retry := RetryPolicy{Attempts: 4, On: RetryErrors, BudgetPercent: 0.2, BudgetMin: 3}
	w, err := New(spec, Routing{Caller: roundRobin, Retry: retry}, 3)
	must(t, err)
	run(t, w, 0, 20*sim.Second)
	prev := float64(w.Clients[0].Generated)
	for _, svc := range w.Services {
		n := float64(svc.Replicas[0].Served)
		t.Logf("%s: %.3f attempts per call from above", svc.Name, n/prev)
		if amp := n / prev; amp < 1.15 || amp > 1.25*1.03 {
			t.Errorf("%s: %.3f attempts per call from above, want 1.25 within 3%%, and retries admitted", svc.Name, amp)
		}
		prev = n
	}
	conserved(t, w)
}

// pair is front (one slot, no work of its own) calling back (ten slots,
// 1 s of work, or failing) with the call c; two requests arrive, at 1 s
// and 1.1 s.
func pair(c Call, nonBlocking bool, backErr float64) Spec {
	front := station("front", 1, sim.Constant{V: 0})
	front.NonBlocking = nonBlocking
	front.Calls = []Step{{c}}
	back := station("back", 10, sim.Constant{V: 1})
	back.ErrorRate = backErr
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{front, back},
		Clients: []ClientSpec{{Name: "users", Service: 0, Arrival: Constant, Callers: 1,
			Rate: RateProfile{{0, 0}, {sim.Second, 0}, {sim.Second, 10}, {1150 * sim.Millisecond, 10}, {1150 * sim.Millisecond, 0}}}},
	}
}

func TestCallsOutcomesAndSlots(t *testing.T) {
	for _, tc := range []struct {
		name        string
		call        Call
		nonBlocking bool
		backErr     float64
		want        []Outcome
		latency     []float64 // seconds
	}{
		// Thread-per-request: the second request waits for the first's
		// slot, which is held while the first waits on back.
		{"blocking holds the slot", Call{Service: 1}, false, 0, []Outcome{Success, Success}, []float64{1, 1.9}},
		{"non-blocking frees it", Call{Service: 1}, true, 0, []Outcome{Success, Success}, []float64{1, 1}},
		{"a required call's failure fails the request", Call{Service: 1}, true, 1, []Outcome{Error, Error}, []float64{1, 1}},
		{"an optional call's failure does not", Call{Service: 1, Optional: true}, true, 1, []Outcome{Success, Success}, []float64{1, 1}},
		{"a call's timeout ends the wait", Call{Service: 1, Timeout: 500 * sim.Millisecond}, true, 0, []Outcome{Error, Error}, []float64{0.5, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, rec := build(t, pair(tc.call, tc.nonBlocking, tc.backErr))
			run(t, w, 0, 10*sim.Second)
			same(t, len(tc.want), len(rec.ended), "requests")
			for i, r := range rec.ended {
				same(t, tc.want[i], r.Outcome, "outcome")
				near(t, tc.latency[i], r.Latency().Seconds(), 1e-6, "latency (s)")
			}
			same(t, uint64(2), w.Services[1].Replicas[0].Served, "back's attempts")
			conserved(t, w)
		})
	}
}

// A call taken with probability 0.3 is made for 30% of requests: 20 000
// requests give a standard error of 0.0032, so 5% (0.015) is 4.6 of them.
func TestCallProbability(t *testing.T) {
	spec := chain(100, Poisson, station("front", 1000, sim.Constant{V: 0}), station("back", 1000, sim.Constant{V: 0.01}))
	spec.Services[0].Calls[0][0].Probability = 0.3
	w, _ := build(t, spec)
	run(t, w, 0, 200*sim.Second)
	near(t, 0.3, float64(w.Services[1].Replicas[0].Served)/float64(w.Clients[0].Generated), 0.05, "share of requests calling")
	conserved(t, w)
}

// A replica that crashes while waiting on its call loses the request
// (host down); the call runs on and its result is discarded.
func TestCrashWhileWaitingOnACall(t *testing.T) {
	w, rec := build(t, pair(Call{Service: 1}, false, 0))
	at(w, 1500*sim.Millisecond, func() { w.SetState(w.Replicas[0], Down) })
	run(t, w, 0, 10*sim.Second)
	same(t, 2, len(rec.ended), "requests")
	same(t, Dropped, rec.ended[0].Outcome, "first outcome")
	same(t, CauseHostDown, rec.ended[0].Cause, "first cause")
	same(t, uint64(1), w.Services[1].Replicas[0].Served, "back's attempts")
	conserved(t, w)
}

func TestCallCycleIsRefused(t *testing.T) {
	spec := chain(1, Poisson, station("a", 1, sim.Constant{V: 0}), station("b", 1, sim.Constant{V: 0}))
	spec.Services[1].Calls = []Step{{{Service: 0}}}
	_, err := New(spec, Routing{Caller: roundRobin}, 1)
	if err == nil || err.Error() != "services call each other in a cycle: a → b → a (calls must form a DAG)" {
		t.Fatalf("got %v", err)
	}
}

// A per-service retry policy applies to the sidecars calling that service
// only: the bottom's callers retry, the client's do not.
func TestPerServiceRetryOverride(t *testing.T) {
	bottom := station("bottom", 1000, sim.Constant{V: 0.01})
	bottom.ErrorRate = 1
	spec := chain(1, Constant, station("top", 1000, sim.Constant{V: 0}), bottom)
	routing := Routing{Caller: roundRobin, PerService: map[string]ServiceRouting{"bottom": {Retry: &RetryPolicy{Attempts: 3, On: RetryErrors}}}}
	w, err := New(spec, routing, 1)
	must(t, err)
	run(t, w, 0, 10*sim.Second)
	top := w.Clients[0].Generated
	same(t, top, w.Services[0].Replicas[0].Served, "top attempts")
	same(t, 3*top, w.Services[1].Replicas[0].Served, "bottom attempts")
	same(t, 2*top, w.CallEdges()[0].Client.Retries, "retries on the edge")
}

// Deadline propagation, with the client giving up after 0.5 s on two
// requests (at 1 s and 1.1 s) to a blocking front with one slot, 1 s of
// work per request, then a 1 s call to back. Without it, front serves
// both requests and calls back for both, long after their client left;
// with it, front calls nothing for the first (its caller left during its
// work) and never starts the second.
func TestDeadlinePropagation(t *testing.T) {
	for _, tc := range []struct {
		deadlines   bool
		frontServed uint64
		calls       uint64
		frontWaste  float64 // seconds of service at front for callers gone
	}{
		{false, 2, 2, 2},
		{true, 1, 0, 1},
	} {
		spec := pair(Call{Service: 1}, false, 0)
		spec.Services[0].ServiceTime = sim.Constant{V: 1}
		spec.Clients[0].Timeout = 500 * sim.Millisecond
		w, err := New(spec, Routing{Caller: roundRobin, Deadlines: tc.deadlines}, 1)
		must(t, err)
		tl := run(t, w, 0, 10*sim.Second)
		same(t, 2, tl.n[Timeout], "client timeouts")
		same(t, tc.frontServed, w.Services[0].Replicas[0].Served, "front's attempts served")
		same(t, tc.calls, w.CallEdges()[0].Client.Generated, "calls to back")
		near(t, tc.frontWaste, w.Services[0].Replicas[0].Wasted, 1e-9, "front's wasted work (s)")
		conserved(t, w)
	}
}

// A call's deadline is what remains of its caller's: front's call waits
// no longer than the client's 0.5 s, so it ends as a timeout at 0.5 s
// where, without propagation, it would succeed after 1 s.
func TestDeadlineBoundsCalls(t *testing.T) {
	for _, tc := range []struct {
		deadlines bool
		want      Outcome
	}{{false, Success}, {true, Timeout}} {
		spec := pair(Call{Service: 1}, true, 0)
		spec.Clients[0].Timeout = 500 * sim.Millisecond
		w, err := New(spec, Routing{Caller: roundRobin, Deadlines: tc.deadlines}, 1)
		must(t, err)
		run(t, w, 0, 10*sim.Second)
		same(t, uint64(2), w.CallEdges()[0].Ended[tc.want], "calls ended "+tc.want.String())
		conserved(t, w)
	}
}

// Service time spent on attempts whose caller has gone is wasted work:
// back (one slot, 1 s each) serves both calls, the second after the
// caller's 0.5 s call timeout, unless deadlines keep it from starting it.
func TestWastedWork(t *testing.T) {
	for _, tc := range []struct {
		deadlines bool
		served    uint64
		wasted    float64
	}{
		{false, 2, 2}, // both calls outlive their 0.5 s timeout
		{true, 1, 1},  // the first was already in service; the second never starts
	} {
		spec := pair(Call{Service: 1, Timeout: 500 * sim.Millisecond}, true, 0)
		spec.Services[1].Concurrency = 1
		w, err := New(spec, Routing{Caller: roundRobin, Deadlines: tc.deadlines}, 1)
		must(t, err)
		run(t, w, 0, 10*sim.Second)
		back := w.Services[1].Replicas[0]
		same(t, tc.served, back.Served, "back's attempts served")
		near(t, tc.wasted, back.Wasted, 1e-9, "back's wasted work (s)")
		conserved(t, w)
	}
}

// An override keyed by a call edge (FROM->TO) wins over its callee's: of
// two services calling bottom, only mid's sidecars retry, four times.
func TestPerEdgeOverrideWins(t *testing.T) {
	bottom := station("bottom", 1000, sim.Constant{V: 0.01})
	bottom.ErrorRate = 1
	top := station("top", 1000, sim.Constant{V: 0})
	top.Calls = []Step{{{Service: 1}, {Service: 2}}}
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{top, station("mid", 1000, sim.Constant{V: 0}), bottom},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Arrival: Constant, Rate: RateProfile{{0, 1}}, Callers: 1}},
	}
	spec.Services[1].Calls = []Step{{{Service: 2}}}
	routing := Routing{Caller: roundRobin, PerService: map[string]ServiceRouting{
		"bottom":      {Retry: &RetryPolicy{Attempts: 2, On: RetryErrors}},
		"mid->bottom": {Retry: &RetryPolicy{Attempts: 4, On: RetryErrors}},
	}}
	w, err := New(spec, routing, 1)
	must(t, err)
	run(t, w, 0, 10*sim.Second)
	n := w.Clients[0].Generated
	for _, e := range w.CallEdges() {
		want := map[string]uint64{"top->mid": n, "top->bottom": 2 * n, "mid->bottom": 4 * n}[e.Client.Name]
		same(t, want, e.Client.Attempts, "attempts on "+e.Client.Name)
	}
}

// refuseAll is a guard that refuses every attempt (a breaker stuck open).
type refuseAll struct{}

func (refuseAll) Admit(sim.Time, int) bool                 { return false }
func (refuseAll) Observe(sim.Time, int, sim.Time, Outcome) {}

// Per-service guards replace the routing's for the sidecars calling that
// service only: the breaker guarding bottom refuses every call to it, so
// top answers errors, while the clients' sidecars, unguarded, reach top.
func TestPerServiceGuards(t *testing.T) {
	spec := chain(1, Constant, station("top", 1000, sim.Constant{V: 0}), station("bottom", 1000, sim.Constant{V: 0.01}))
	stuck := func(GuardEnv, *rand.Rand) Guard { return refuseAll{} }
	routing := Routing{Caller: roundRobin, PerService: map[string]ServiceRouting{"bottom": {Guards: []NewGuard{stuck}}}}
	w, err := New(spec, routing, 1)
	must(t, err)
	tl := run(t, w, 0, 10*sim.Second)
	n := w.Clients[0].Generated
	same(t, int(n), tl.n[Error], "client requests failing")
	same(t, n, w.Services[0].Replicas[0].Served, "top's attempts")
	same(t, n, w.CallEdges()[0].Ended[Rejected], "calls refused by bottom's breaker")
	same(t, uint64(0), w.Services[1].Replicas[0].Served, "bottom's attempts")
}
