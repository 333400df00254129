package topology

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
)

// countGuard counts what a caller's guard hears per host and outcome.
type countGuard struct{ heard map[[2]int]int }

func (g *countGuard) Admit(sim.Time, int) bool { return true }
func (g *countGuard) Observe(_ sim.Time, host int, _ sim.Time, o Outcome) {
	g.heard[[2]int{host, int(o)}]++
}

// hedgeWorld is n replicas of a 1 s service behind one round-robin caller,
// one request at 1 s; slow[i] multiplies replica i's service time and
// failing[i] makes it fail every request.
func hedgeWorld(t *testing.T, routing Routing, slow []float64, failing []bool) (*World, *record, *countGuard) {
	t.Helper()
	spec := Spec{
		Places:   []Place{{"r", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: len(slow), Concurrency: 10, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 1}}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Arrival: Constant, Rate: RateProfile{{0, 1}}, Callers: 1, Timeout: 30 * sim.Second}},
	}
	g := &countGuard{heard: map[[2]int]int{}}
	routing.Caller = roundRobin
	routing.Guards = []NewGuard{func(GuardEnv, *rand.Rand) Guard { return g }}
	w, err := New(spec, routing, 1)
	require.NoError(t, err)
	for i, s := range slow {
		d := Degradation{Slowdown: s}
		if failing != nil && failing[i] {
			d.ErrorRate = 1
		}
		w.Degrade(w.Replicas[i], d)
	}
	rec := &record{}
	w.Observe(rec)
	w.Start(1500 * sim.Millisecond)
	w.Eng.Run(sim.Minute)
	w.Drain(sim.Minute)
	return w, rec, g
}

// drained checks the invariants every hedged run ends with: one request
// ended once, no attempt or retry left counted, no attempt left.
func drained(t *testing.T, w *World, rec *record) Request {
	t.Helper()
	require.Len(t, rec.ended, 1)
	c := w.Callers[0]
	require.Zero(t, c.active, "outstanding attempts left counted")
	require.Zero(t, c.retries, "retries left counted")
	require.Zero(t, w.jobs.live, "attempts left")
	require.Zero(t, w.reqs.live, "requests left")
	return rec.ended[0]
}

func envoyHedge(attempts int, backoff sim.Time) Routing {
	return Routing{
		Retry: RetryPolicy{Attempts: attempts, On: RetryErrors | RetryRejected | RetryReset | RetryTimeout, PerTryTimeout: 2 * sim.Second, Backoff: BackoffFixed, BackoffBase: backoff},
		Hedge: HedgePolicy{Mode: HedgeOnPerTryTimeout},
	}
}

func TestEnvoyHedgeOnPerTryTimeout(t *testing.T) {
	for _, c := range []struct {
		name     string
		attempts int
		backoff  sim.Time
		slow     []float64
		failing  []bool
		outcome  Outcome
		ended    sim.Time
		tries    int
		hedges   int
		served   []uint64 // per replica, the losers included
		wasted   float64  // seconds of work for attempts nobody waited for
		timeouts int      // timeouts the guards heard (of replica 0)
		won      int      // the attempt whose answer won
	}{
		// The per-try timeout fires at 3 s; the original (10 s) is not
		// reset, a hedge goes to replica 1 and answers at 4 s; the original
		// runs on to 11 s, all of it wasted.
		{"hedge wins", 3, 0, []float64{10, 1}, nil, Success, 4 * sim.Second, 2, 1, []uint64{1, 1}, 10, 1, 2},
		// The hedge waits out its back-off (100 ms, fixed) before it goes.
		{"back-off first", 3, 100 * sim.Millisecond, []float64{10, 1}, nil, Success, 4100 * sim.Millisecond, 2, 1, []uint64{1, 1}, 10, 1, 2},
		// HedgedPerTryTimeoutFirstRequestSucceeds: the original answers at
		// 3.5 s, before the hedge (2 s of work, from 3 s); the hedge is reset
		// and its replica works on to 5 s.
		{"original wins", 3, 0, []float64{2.5, 2}, nil, Success, 3500 * sim.Millisecond, 2, 1, []uint64{1, 1}, 2, 1, 1},
		// HedgedPerTryTimeoutResetsOnBadHeaders: the hedge fails at 4 s with
		// no retry left; it is dropped while the original is out, which
		// answers at 6 s.
		{"bad hedge dropped", 2, 0, []float64{5, 1}, []bool{false, true}, Success, 6 * sim.Second, 2, 1, []uint64{1, 1}, 0, 1, 1},
		// HedgedPerTryTimeoutThirdRequestSucceeds (without its 5xx): the
		// original times out at 3 s, the hedge (replica 1, slow too) at 5 s,
		// the second hedge (replica 2) answers at 6 s; both slow attempts
		// run on, 20 s wasted.
		{"third wins", 3, 0, []float64{10, 10, 1}, nil, Success, 6 * sim.Second, 3, 2, []uint64{1, 1, 1}, 20, 1, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, rec, g := hedgeWorld(t, envoyHedge(c.attempts, c.backoff), c.slow, c.failing)
			r := drained(t, w, rec)
			require.Equal(t, c.outcome, r.Outcome)
			require.Equal(t, c.ended, r.Ended)
			require.Equal(t, c.tries, r.Attempts())
			require.Equal(t, c.hedges, r.Hedges())
			require.Equal(t, uint64(c.hedges), w.Clients[0].Hedges)
			require.Equal(t, c.won, r.Won())
			wasted := 0.0
			for i, rep := range w.Replicas {
				require.Equal(t, c.served[i], rep.Served, "replica %d served", i)
				wasted += rep.Wasted
			}
			require.InDelta(t, c.wasted, wasted, 1e-9)
			require.Equal(t, c.timeouts, g.heard[[2]int{0, int(Timeout)}], "timeouts reported for replica 0")
		})
	}
}

func TestEnvoyHedgeRetryLimitAndGlobalTimeout(t *testing.T) {
	// num_retries 1: one hedge at 3 s (both replicas slow); the hedge's own
	// per-try timeout at 5 s finds no retry left and nothing happens; the
	// client's 30 s timeout ends the request and resets both attempts;
	// each one's timeout was reported already, and is not again.
	w, rec, g := hedgeWorld(t, envoyHedge(2, 0), []float64{40, 40}, nil)
	r := drained(t, w, rec)
	require.Equal(t, Timeout, r.Outcome)
	require.Equal(t, CauseTimeout, r.Cause)
	require.Equal(t, 31*sim.Second, r.Ended)
	require.Equal(t, 2, r.Attempts())
	require.Equal(t, 1, r.Hedges())
	require.Equal(t, 1, g.heard[[2]int{0, int(Timeout)}])
	require.Equal(t, 1, g.heard[[2]int{1, int(Timeout)}], "the hedge's timeout is reported once (outlierDetectionTimeoutRecorded)")
}

func grpcHedge(max int, delay sim.Time, nonFatal string) Routing {
	codes, err := ParseGRPCCodes(nonFatal)
	if err != nil {
		panic(err)
	}
	return Routing{Hedge: HedgePolicy{Mode: HedgeGRPC, MaxAttempts: max, Delay: delay, NonFatal: codes}}
}

func TestGRPCHedging(t *testing.T) {
	for _, c := range []struct {
		name     string
		max      int
		nonFatal string
		slow     []float64
		failing  []bool
		outcome  Outcome
		ended    sim.Time
		tries    int
	}{
		// Copies at 1, 1.5 and 2 s; the third (1 s) answers at 3 s and the
		// two slow ones are cancelled.
		{"third copy wins", 3, "", []float64{10, 10, 1}, nil, Success, 3 * sim.Second, 3},
		// max_attempts 9 counts as 5: the fifth copy (at 3 s) is the fast one.
		{"capped at five", 9, "", []float64{10, 10, 10, 10, 1, 1}, nil, Success, 4 * sim.Second, 5},
		// The first copy fails at 2 s (UNKNOWN, fatal): the call ends with
		// it, the second copy (sent at 1.5 s) is cancelled.
		{"fatal status ends it", 3, "", []float64{1, 10, 10}, []bool{true, false, false}, Error, 2 * sim.Second, 2},
		// UNKNOWN is non-fatal: the call waits; the third copy (at 2 s) wins.
		{"non-fatal waits", 3, "UNKNOWN", []float64{1, 10, 1}, []bool{true, false, false}, Success, 3 * sim.Second, 3},
		// All non-fatal failures, nothing more to send: the last status is
		// the call's.
		{"all fail", 2, "unknown", []float64{1, 1}, []bool{true, true}, Error, 2500 * sim.Millisecond, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, rec, _ := hedgeWorld(t, grpcHedge(c.max, 500*sim.Millisecond, c.nonFatal), c.slow, c.failing)
			r := drained(t, w, rec)
			require.Equal(t, c.outcome, r.Outcome)
			require.Equal(t, c.ended, r.Ended)
			require.Equal(t, c.tries, r.Attempts())
			require.Equal(t, c.tries-1, r.Hedges())
		})
	}
}

func TestGRPCThrottle(t *testing.T) {
	// grpc-java's Throttle in thousandths: 2 tokens, threshold 1; a
	// non-fatal failure takes one (then at the threshold: throttled), a
	// success gives 0.5 back, capped at 2.
	w, _, _ := hedgeWorld(t, Routing{Hedge: HedgePolicy{Mode: HedgeGRPC, MaxAttempts: 2, MaxTokens: 2, TokenRatio: 0.5}}, []float64{1}, nil)
	c, p := w.Callers[0], w.hedgePolicy(w.Callers[0])
	spent, _ := w.tokens(c, p)
	*spent = 0 // full: 2 tokens
	require.True(t, w.aboveThreshold(c, p))
	require.False(t, w.qualifiedFailure(c, p), "1 token left is at the threshold")
	require.False(t, w.aboveThreshold(c, p))
	w.throttleSuccess(c, p)
	require.True(t, w.aboveThreshold(c, p))
	for i := 0; i < 5; i++ {
		w.throttleSuccess(c, p)
	}
	require.Equal(t, int32(0), *spent, "back to 2 tokens, no more")
}

func TestHedgePolicyChecks(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	for _, c := range []struct {
		name    string
		routing Routing
	}{
		{"envoy without per-try timeout", Routing{Retry: RetryPolicy{Attempts: 2}, Hedge: HedgePolicy{Mode: HedgeOnPerTryTimeout}}},
		{"grpc with retries", Routing{Retry: RetryPolicy{Attempts: 2}, Hedge: HedgePolicy{Mode: HedgeGRPC, MaxAttempts: 2}}},
		{"grpc max attempts 1", Routing{Hedge: HedgePolicy{Mode: HedgeGRPC, MaxAttempts: 1}}},
		{"grpc OK non-fatal", Routing{Hedge: HedgePolicy{Mode: HedgeGRPC, MaxAttempts: 2, NonFatal: 1}}},
	} {
		c.routing.Caller = roundRobin
		_, err := New(spec, c.routing, 1)
		require.Error(t, err, c.name)
	}
	_, err := ParseGRPCCodes("UNAVAILABLE,teapot")
	require.Error(t, err)
	s, err := ParseGRPCCodes("unavailable, 13")
	require.NoError(t, err)
	require.Equal(t, "INTERNAL,UNAVAILABLE", s.String())
}

// maxTries checks every request's attempts against its bound.
type maxTries struct {
	t     *rapid.T
	limit int
	n     int
}

func (m *maxTries) check(r *Request) {
	m.n++
	if r.Attempts() > m.limit || r.Hedges() >= max(r.Attempts(), 1) && r.Hedges() > 0 {
		m.t.Fatalf("request %d: %d attempts, %d hedges; at most %d attempts", r.ID, r.Attempts(), r.Hedges(), m.limit)
	}
}
func (m *maxTries) RequestEnded(_ sim.Time, r *Request)          { m.check(r) }
func (m *maxTries) HopEnded(_ sim.Time, _ *CallEdge, r *Request) { m.check(r) }

// TestHedgingConservation: whatever the graph, the hedge policy (Envoy's
// or gRPC's), the retries, deadlines, crashes and pauses, every request
// and call ends exactly once, with at most its policy's attempts, and no
// attempt or retry stays counted by its caller (the oracle: counting).
func TestHedgingConservation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := drawGraph(t)
		routing := Routing{Caller: roundRobin, Deadlines: rapid.Bool().Draw(t, "deadlines")}
		limit := 1
		if rapid.Bool().Draw(t, "envoy") {
			limit = rapid.IntRange(1, 4).Draw(t, "attempts")
			routing.Retry = RetryPolicy{Attempts: limit, On: RetryErrors | RetryRejected | RetryReset | RetryTimeout,
				PerTryTimeout: sim.Time(rapid.IntRange(1, 60).Draw(t, "per-try")) * sim.Millisecond,
				BackoffBase:   sim.Time(rapid.IntRange(0, 25).Draw(t, "backoff")) * sim.Millisecond,
				BudgetPercent: rapid.SampledFrom([]float64{0, 0.2}).Draw(t, "budget"), BudgetMin: 1, MaxConcurrent: rapid.IntRange(0, 3).Draw(t, "max-retries")}
			routing.Hedge = HedgePolicy{Mode: HedgeOnPerTryTimeout}
		} else {
			n := rapid.IntRange(2, 7).Draw(t, "max-attempts")
			limit = min(n, MaxHedgedAttempts)
			routing.Hedge = HedgePolicy{Mode: HedgeGRPC, MaxAttempts: n, Delay: sim.Time(rapid.IntRange(0, 30).Draw(t, "delay")) * sim.Millisecond,
				NonFatal: GRPCCodes(rapid.SampledFrom([]uint32{0, 1 << grpcUnknown, 1<<grpcUnknown | 1<<grpcUnavailable}).Draw(t, "non-fatal"))}
			if rapid.Bool().Draw(t, "throttle") {
				routing.Hedge.MaxTokens, routing.Hedge.TokenRatio = 4, 0.1
			}
		}
		w, err := New(spec, routing, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		const horizon = 2 * sim.Second
		drawFaults(t, w, 1800*sim.Millisecond)
		rec := &record{}
		w.Observe(rec)
		tries := &maxTries{t: t, limit: limit}
		w.Observe(tries)
		w.ObserveHops(tries)
		w.Start(horizon)
		w.Eng.Run(horizon)
		w.Drain(sim.Time(rapid.IntRange(0, 2000).Draw(t, "drain")) * sim.Millisecond)
		if w.InFlight() != 0 {
			t.Fatalf("%d requests left in flight", w.InFlight())
		}
		if got, want := uint64(len(rec.ended)), w.Clients[0].Generated; got != want {
			t.Fatalf("%d client requests ended, %d generated", got, want)
		}
		made := w.Clients[0].Generated
		for _, e := range w.CallEdges() {
			var ended uint64
			for _, n := range e.Ended {
				ended += n
			}
			if ended != e.Client.Generated {
				t.Fatalf("edge %s: %d calls ended, %d made", e.Client.Name, ended, e.Client.Generated)
			}
			made += e.Client.Generated
		}
		if uint64(tries.n) != made {
			t.Fatalf("%d ends heard, %d requests made", tries.n, made)
		}
		for _, c := range w.Callers {
			if c.active != 0 || c.retries != 0 {
				t.Fatalf("caller %d: %d attempts and %d retries still counted", c.ID, c.active, c.retries)
			}
		}
		for i := range w.hedge.reqs {
			if w.hedge.reqs[i].on {
				t.Fatalf("request slot %d still hedging", i)
			}
		}
	})
}

// A parent with ample capacity calls k = 10 copies of an Exp(1 s) leaf in
// one parallel group, each call hedged once after d = 0.5 s (Envoy: a
// per-try timeout of d, one retry, no back-off; gRPC: max_attempts 2,
// hedging_delay d). A call then lasts T = min(X₁, d + X₂) with X₁, X₂ ~
// Exp(1): P(T > t) = e^−t before d and e^−(2t−d) after, so E[T] =
// 1 − e^−d/2 = 0.697 s (against 1 s unhedged) and the parent waits
// E[max] = ∫ 1 − (1 − P(T > t))^k dt, integrated numerically (the naive
// oracle) against H₁₀ = 2.929 s unhedged. A hedge goes for every call
// still out at d: k·e^−d = 6.07 per request. 20 000 requests: the max's
// standard deviation is under 1.3 s, a standard error under 0.4%; 3% is
// eight of them.
func TestHedgedFanOutAgainstOracle(t *testing.T) {
	const (
		k = 10
		d = 0.5
	)
	survive := func(t float64) float64 {
		if t < d {
			return math.Exp(-t)
		}
		return math.Exp(-(2*t - d))
	}
	want := 0.0
	const dt = 1e-4
	for x := dt / 2; x < 40; x += dt {
		want += (1 - math.Pow(1-survive(x), k)) * dt
	}
	// Only the parent's sidecars hedge (calls to leaf, by a per-service
	// override for Envoy's, a per-edge one for gRPC's): the users' calls
	// to the parent would otherwise hedge the whole fan-out.
	for _, c := range []struct {
		name, key string
		route     ServiceRouting
	}{
		{"envoy", "leaf", ServiceRouting{Retry: &RetryPolicy{Attempts: 2, On: RetryErrors, PerTryTimeout: sim.Seconds(d), Backoff: BackoffFixed}, Hedge: &HedgePolicy{Mode: HedgeOnPerTryTimeout}}},
		{"grpc", "parent->leaf", ServiceRouting{Hedge: &HedgePolicy{Mode: HedgeGRPC, MaxAttempts: 2, Delay: sim.Seconds(d)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
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
			w, err := New(spec, Routing{Caller: roundRobin, PerService: map[string]ServiceRouting{c.key: c.route}}, 5)
			must(t, err)
			tl := run(t, w, 0, 2000*sim.Second)
			got := tl.sojourn / float64(tl.measured)
			t.Logf("mean wait %.4f s over %d requests (oracle %.4f s)", got, tl.measured, want)
			near(t, want, got, 0.03, "mean wait (s) against the oracle")
			e := w.CallEdges()[0]
			near(t, k*math.Exp(-d), float64(e.Client.Hedges)/float64(w.Clients[0].Generated), 0.02, "hedges per request")
			same(t, 0, w.Clients[0].Hedges, "hedges of the users' calls")
			conserved(t, w)
		})
	}
}

func TestGRPCThrottleEndsTheCall(t *testing.T) {
	// One replica failing every copy after 1 s, UNKNOWN non-fatal: copies
	// at 1, 1.5 and 2 s fail at 2, 2.5 and 3 s. Unthrottled, the call waits
	// for the last and ends at 3 s. With 4 tokens (threshold 2) the first
	// failure leaves 3, the second 2 — at the threshold, throttled — so the
	// call ends with it at 2.5 s and the third copy is cancelled.
	for _, c := range []struct {
		tokens float64
		ended  sim.Time
	}{{0, 3 * sim.Second}, {4, 2500 * sim.Millisecond}} {
		routing := grpcHedge(3, 500*sim.Millisecond, "UNKNOWN")
		routing.Hedge.MaxTokens, routing.Hedge.TokenRatio = c.tokens, 0.1
		w, rec, _ := hedgeWorld(t, routing, []float64{1}, []bool{true})
		r := drained(t, w, rec)
		require.Equal(t, Error, r.Outcome)
		require.Equal(t, c.ended, r.Ended, "max_tokens %g", c.tokens)
		require.Equal(t, 3, r.Attempts())
	}
}

func TestEnvoyHedgeRetryOnAndBudget(t *testing.T) {
	// retry_on is not consulted for the hedge (shouldHedgeRetryPerTryTimeout
	// retries whatever it says): with retry_on "error" only, a per-try
	// timeout still hedges.
	routing := envoyHedge(2, 0)
	routing.Retry.On = RetryErrors
	w, rec, _ := hedgeWorld(t, routing, []float64{10, 1}, nil)
	r := drained(t, w, rec)
	require.Equal(t, 1, r.Hedges())
	require.Equal(t, 4*sim.Second, r.Ended)
	// A retry budget that admits nothing (20% of one outstanding attempt,
	// no minimum) refuses the hedge (RetryStatus::NoOverflow): the slow
	// original answers at 11 s, and the refusal is counted.
	routing = envoyHedge(2, 0)
	routing.Retry.BudgetPercent = 0.2
	w, rec, _ = hedgeWorld(t, routing, []float64{10, 1}, nil)
	r = drained(t, w, rec)
	require.Equal(t, 0, r.Hedges())
	require.Equal(t, 11*sim.Second, r.Ended)
	require.Equal(t, uint64(1), w.Clients[0].RetriesDenied)
}
