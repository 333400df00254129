package topology

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

func TestEnvoyBackoffRanges(t *testing.T) {
	p := RetryPolicy{Attempts: 5, Backoff: BackoffJittered, BackoffBase: 25 * sim.Millisecond, BackoffMax: 250 * sim.Millisecond}
	r := sim.NewStream(1, "b")
	// Retry n waits U[0, 2^(n−1)·25 ms), capped at 250 ms, as Envoy's
	// JitteredExponentialBackOffStrategy runs (backoff_strategy.cc; its
	// test/common/common/backoff_strategy_test.cc JitteredBackOffBasicFlow),
	// not the docs' (2^n − 1)·base.
	for n, upper := range map[int]sim.Time{1: 25, 2: 50, 3: 100, 4: 200, 5: 250, 6: 250} {
		var hi sim.Time
		for k := 0; k < 20000; k++ {
			d := p.delay(n, r)
			if d < 0 || d >= upper*sim.Millisecond {
				t.Fatalf("retry %d waited %v, outside [0, %vms)", n, d, upper)
			}
			hi = max(hi, d)
		}
		if hi < upper*sim.Millisecond*95/100 {
			t.Errorf("retry %d never waited near its upper bound %vms (max %v)", n, upper, hi)
		}
	}
}

func TestRetryBudgetFormula(t *testing.T) {
	budget := RetryPolicy{Attempts: 3, BudgetPercent: 0.2, BudgetMin: 3}
	// Envoy (resource_manager_impl.h RetryBudgetImpl): retries in flight <
	// max(min_retry_concurrency, the integer part of 20% × active).
	for _, c := range []struct {
		active, retries int
		ok              bool
	}{{0, 2, true}, {0, 3, false}, {100, 19, true}, {100, 20, false}, {10, 2, true},
		{24, 3, true}, {24, 4, false}, {19, 3, false}} {
		if got := budget.admits(c.active, c.retries); got != c.ok {
			t.Errorf("budget admits(active %d, retries %d) = %v, want %v", c.active, c.retries, got, c.ok)
		}
	}
	breaker := RetryPolicy{Attempts: 3, MaxConcurrent: 3}
	if !breaker.admits(1000, 2) || breaker.admits(1000, 3) {
		t.Error("max_retries circuit breaker of 3 not enforced")
	}
	if !(RetryPolicy{Attempts: 3}).admits(1000, 1e6) {
		t.Error("an unlimited policy refused a retry")
	}
}

func TestParseRetryOn(t *testing.T) {
	on, err := ParseRetryOn("gateway-error, connect-failure")
	if err != nil || on != RetryRejected|RetryReset|RetryTimeout {
		t.Fatalf("gateway-error,connect-failure = %b, %v", on, err)
	}
	if _, err := ParseRetryOn("5xx,teapot"); err == nil {
		t.Fatal("unknown condition accepted")
	}
	if !on.matches(Timeout, CauseTryTimeout) || on.matches(Timeout, CauseTimeout) || on.matches(Error, CauseServerError) {
		t.Fatal("matches")
	}
}

// flaky is a one-replica world whose replica fails half its requests.
func flaky(t *testing.T, retry RetryPolicy, guards ...NewGuard) (*World, *record) {
	t.Helper()
	spec := Spec{
		Places:   []Place{{"r", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 1, Concurrency: 10, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.01}, ErrorRate: 0.5}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Rate: RateProfile{{0, 10}}, Callers: 1}},
	}
	w, err := New(spec, Routing{Caller: roundRobin, Retry: retry, Guards: guards}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rec := &record{}
	w.Observe(rec)
	return w, rec
}

func runFor(w *World, d sim.Time) {
	w.Start(d)
	w.Eng.Run(d)
	w.Drain(sim.Hour)
}

func TestRetriesRecoverErrors(t *testing.T) {
	w, rec := flaky(t, RetryPolicy{Attempts: 3, On: RetryErrors, Backoff: BackoffJittered, BackoffBase: 25 * sim.Millisecond, BackoffMax: 250 * sim.Millisecond})
	runFor(w, 1000*sim.Second)
	var ok, errs int
	for _, r := range rec.ended {
		switch r.Outcome {
		case Success:
			ok++
		case Error:
			errs++
			if r.Attempts() != 3 {
				t.Fatalf("an error ended after %d attempts, want 3", r.Attempts())
			}
		}
	}
	// Three independent tries at 50%: P(all fail) = 1/8.
	if frac := float64(errs) / float64(len(rec.ended)); math.Abs(frac-0.125) > 0.02 {
		t.Errorf("error fraction %.3f, want 0.125 ± 0.02", frac)
	}
	c := w.Clients[0]
	if amp := float64(c.Attempts) / float64(c.Generated); math.Abs(amp-1.75) > 0.05 {
		t.Errorf("attempts per request %.3f, want 1 + 0.5 + 0.25 = 1.75", amp)
	}
	if w.Callers[0].active != 0 || w.Callers[0].retries != 0 {
		t.Errorf("caller counters leak: active %d, retries %d", w.Callers[0].active, w.Callers[0].retries)
	}
}

func TestPerTryTimeoutRetriesAndServerKeepsWorking(t *testing.T) {
	spec := oneReplica(Unbounded, 0) // constant 10 s service
	spec.Services[0].Concurrency = 100
	w, err := New(spec, Routing{Caller: roundRobin, Retry: RetryPolicy{Attempts: 3, On: RetryTimeout, PerTryTimeout: 2 * sim.Second, Backoff: BackoffFixed}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := &record{}
	w.Observe(rec)
	w.Start(1500 * sim.Millisecond) // one request at 1 s
	w.Eng.Run(sim.Minute)
	if len(rec.ended) != 1 {
		t.Fatalf("%d requests ended", len(rec.ended))
	}
	r := rec.ended[0]
	if r.Outcome != Timeout || r.Cause != CauseTryTimeout || r.Attempts() != 3 || r.Ended != 7*sim.Second {
		t.Fatalf("request %v/%v after %d attempts at %v; want a try timeout after 3 attempts at 7s", r.Outcome, r.Cause, r.Attempts(), r.Ended)
	}
	if w.Replicas[0].Served != 3 {
		t.Fatalf("replica served %d abandoned attempts, want all 3", w.Replicas[0].Served)
	}
	if w.jobs.live != 0 {
		t.Fatalf("%d jobs leaked", w.jobs.live)
	}
}

// refuseEvery refuses every other attempt and counts what it observes.
type refuseEvery struct {
	n, seen int
	ticks   int
}

func (g *refuseEvery) Admit(sim.Time, int) bool { g.n++; return g.n%2 == 0 }
func (g *refuseEvery) Observe(sim.Time, int, sim.Time, Outcome) {
	g.seen++
}
func (g *refuseEvery) Interval() sim.Time { return 10 * sim.Second }
func (g *refuseEvery) Tick(sim.Time)      { g.ticks++ }

func TestGuardsAdmitObserveAndTick(t *testing.T) {
	var g *refuseEvery
	w, rec := flaky(t, RetryPolicy{}, func(GuardEnv, *rand.Rand) Guard { g = &refuseEvery{}; return g })
	runFor(w, 100*sim.Second)
	refused := 0
	for _, r := range rec.ended {
		if r.Outcome == Rejected && r.Cause == CauseCircuitOpen {
			refused++
		}
	}
	if refused != (len(rec.ended)+1)/2 || g.seen != len(rec.ended)-refused {
		t.Fatalf("refused %d of %d, observed %d", refused, len(rec.ended), g.seen)
	}
	if g.ticks != 10 {
		t.Fatalf("guard ticked %d times in 100 s at a 10 s interval, want 10", g.ticks)
	}
}

func TestPanicThresholdRoutesToUnhealthyHosts(t *testing.T) {
	spec := Spec{
		Places:   []Place{{"r", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 4, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.001}}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Arrival: Constant, Rate: RateProfile{{0, 100}}, Callers: 1}},
	}
	for _, c := range []struct {
		threshold float64
		down      int
		wantDrop  bool
	}{{0.5, 1, false}, {0.5, 3, true}, {0, 3, false}} {
		w, err := New(spec, Routing{Caller: roundRobin, PanicThreshold: c.threshold}, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec := &record{}
		w.Observe(rec)
		for i := 0; i < c.down; i++ {
			w.Crash(w.Replicas[i])
		}
		runFor(w, 10*sim.Second)
		dropped, panics := 0, 0
		for _, r := range rec.ended {
			if r.Outcome == Dropped && r.Cause == CauseHostDown {
				dropped++
			}
			if r.Fallback == FallbackPanic {
				panics++
			}
		}
		// In panic (1 of 4 healthy < 50%) every host is eligible, so
		// round robin sends 3 of 4 requests to down hosts.
		if c.wantDrop != (dropped > 0) || (c.wantDrop && (panics != len(rec.ended) || math.Abs(float64(dropped)/float64(len(rec.ended))-0.75) > 0.01)) {
			t.Errorf("threshold %g, %d down: %d of %d dropped at down hosts, %d panic picks", c.threshold, c.down, dropped, len(rec.ended), panics)
		}
	}
}

func TestDegradationsStackAndRevert(t *testing.T) {
	w, rec := build(t, oneReplica(Unbounded, 0))
	rep := w.Replicas[0]
	var revA, revB func()
	at(w, 500*sim.Millisecond, func() {
		revA = w.Degrade(rep, Degradation{ExtraLatency: sim.Second, Slowdown: 2})
		revB = w.Degrade(rep, Degradation{Slowdown: 1.5, ErrorRate: 1})
	})
	at(w, 1500*sim.Millisecond, func() { revB() })
	at(w, 2500*sim.Millisecond, func() { revA() })
	w.Start(3500 * sim.Millisecond) // arrivals at 1, 2, 3 s
	w.Eng.Run(sim.Hour)
	// 1 s: served under A and B: 10 s × 2 × 1.5 + 1 s = 31 s, failing (B's
	// error rate is fixed when service starts, though B is reverted before
	// it ends). 2 s and 3 s: queued; by the time they start (32 s, 42 s)
	// both degradations are gone: 10 s each.
	want := []struct {
		o   Outcome
		end sim.Time
	}{{Error, 32 * sim.Second}, {Success, 42 * sim.Second}, {Success, 52 * sim.Second}}
	for i, wt := range want {
		if r := rec.ended[i]; r.Outcome != wt.o || r.Ended != wt.end {
			t.Fatalf("request %d: %v at %v, want %v at %v", i, r.Outcome, r.Ended, wt.o, wt.end)
		}
	}
}

func TestCapacityLossAndColdStart(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	spec.Services[0].Concurrency = 4
	w, _ := build(t, spec)
	rep := w.Replicas[0]
	rev := w.Degrade(rep, Degradation{CapacityLoss: 0.5})
	if rep.concurrency() != 2 {
		t.Fatalf("half the capacity of 4 slots = %d", rep.concurrency())
	}
	rev()
	if rep.concurrency() != 4 {
		t.Fatalf("capacity not restored: %d", rep.concurrency())
	}
	w.Warm(rep, 9, 10*sim.Second)
	if got := rep.serviceTime(sim.Second, 0); got != 10*sim.Second {
		t.Fatalf("cold service time %v, want 10× at t=0", got)
	}
	if got := rep.serviceTime(sim.Second, 10*sim.Second); math.Abs(got.Seconds()-(1+9/math.E)) > 1e-9 {
		t.Fatalf("service time after one tau %v, want 1 + 9/e s", got)
	}
}

func TestPartitionLosesMessagesUntilTimeout(t *testing.T) {
	spec := oneReplica(Unbounded, 3*sim.Second)
	spec.Places = []Place{{"east", "a"}, {"west", "a"}}
	spec.Services[0].Places = []PlaceID{1}
	w, rec := build(t, spec)
	var heal func()
	at(w, 500*sim.Millisecond, func() { heal = w.Net.Cut(0, 1) })
	at(w, 2500*sim.Millisecond, func() { heal() })
	w.Start(3500 * sim.Millisecond) // arrivals at 1, 2, 3 s
	w.Eng.Run(sim.Minute)
	w.Drain(sim.Minute)
	got := []Outcome{rec.ended[0].Outcome, rec.ended[1].Outcome}
	if got[0] != Timeout || got[1] != Timeout || w.Net.Lost != 2 {
		t.Fatalf("during the partition: %v, %d lost; want two timeouts", got, w.Net.Lost)
	}
	if w.jobs.live != 0 && w.Replicas[0].InFlight() == 0 {
		t.Fatalf("%d lost jobs leaked", w.jobs.live)
	}
}
