package scenarios_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// Validation of the routing control plane against the delay-differential
// fluid model of Pender, Rand and Wesson ("Managing information in
// queues: the impact of giving delayed information to customers", arXiv
// 1610.01972; routing.md §5.3): two queues, customers choosing by
// multinomial logit on queue lengths Δ old,
//
//	q_i'(t) = λ·e^{−θ q_i(t−Δ)} / Σ_j e^{−θ q_j(t−Δ)} − μ·q_i(t),
//
// whose symmetric equilibrium q* = λ/(2μ) loses stability in a Hopf
// bifurcation at Δ_cr = arccos(−2μ/(λθ)) / √((λθ)²/4 − μ²) (routing.md
// writes θ = 1; scaling λ by N and θ by 1/N keeps the model and shrinks
// the noise of a finite system by √N).
//
// The simulated system is the model's: two pools of infinitely many
// servers (μ·q_i is the pools' service rate: concurrency far above the
// load), exponential service of mean 1/μ, Poisson arrivals at λ, and one
// sidecar whose decision engine sets logit weights exp(−θ·load) every
// 10 ms on in-flight counts the signal bus measures every 10 ms and
// delivers Δ later. Weighted round robin realises the weights. The
// information the controller acts on is Δ + ~5 ms old on average and its
// decision is held for 10 ms, so the effective delay is about Δ + 10 ms.

const (
	ddeRate  = 4000.0 // λ, 1/s
	ddeMu    = 1.0    // μ, 1/s
	ddeTheta = 0.0025 // θ, 1/request: λθ = 10
	ddeStep  = 10 * sim.Millisecond
)

// ddeCritical is the fluid model's Δ_cr.
func ddeCritical() float64 {
	lt := ddeRate * ddeTheta
	return math.Acos(-2*ddeMu/lt) / math.Sqrt(lt*lt/4-ddeMu*ddeMu)
}

// pools is the two-pool scenario with the signal bus delay, extra engine
// parameters and faults.
func pools(delay sim.Time, duration sim.Time, engineExtra, faults string) string {
	secs := func(t sim.Time) string { return fmt.Sprintf("%gs", t.Seconds()) }
	return fmt.Sprintf(`
name: delayed-logit
seed: 1
duration: %s
series_interval: 10s
topology:
  services: [{name: pool, replicas: 2, concurrency: 1000000, service_time: {dist: exponential, mean: %gs}}]
  clients: [{name: c, target: pool, rate: %g/s}]
  telemetry: {interval: %s, delay: %s}
strategies:
  - name: logit
    controller:
      pattern: sidecar
      scope: sidecar
      interval: %s
      engine: {kind: scoring, params: {latency: 0, error_rate: 0, unhealthy: 0, load: 1, load_scale: %g, choice: logit, beta: 1%s}}
%s`, secs(duration), 1/ddeMu, ddeRate, secs(ddeStep), secs(delay), secs(ddeStep), 1/ddeTheta, engineExtra, faults)
}

// amplitude runs src and returns θ times the standard deviation of
// u = q1 − q2, sampled every 10 ms from `from` on: the oscillation's
// amplitude in the logit's units (about 0.1 for the noise of a stable
// equilibrium, above 1 for a limit cycle).
func amplitude(t *testing.T, src string, from sim.Time) float64 {
	t.Helper()
	sc, err := scenarios.Parse("delayed-logit.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.Build(0, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	w := b.World
	var sum, sq float64
	n := 0
	k := w.Eng.Handle("probe", func(uint64) {
		u := float64(w.Replicas[0].InFlight() - w.Replicas[1].InFlight())
		sum += u
		sq += u * u
		n++
	})
	for ts := from; ts < sc.Duration.T(); ts += 10 * sim.Millisecond {
		w.Eng.At(ts, topology.ClassObserve, k, 0)
	}
	w.Start(sc.Duration.T())
	w.Eng.Run(sc.Duration.T())
	m := sum / float64(n)
	return ddeTheta * math.Sqrt(sq/float64(n)-m*m)
}

// TestDelayedFeedbackHopf: below the critical delay the symmetric split
// is stable, above it the pools oscillate; the threshold, found by
// fitting the squared amplitude (linear in Δ − Δ_cr past a supercritical
// Hopf bifurcation) and extrapolating it to zero, lies within 10% of the
// fluid model's Δ_cr. Measured: Δ_cr = 0.3617 s; amplitudes 0.13 at
// 0.8 Δ_cr and 1.5 at 1.3 Δ_cr; the fit crosses zero at a bus delay of
// 0.989 Δ_cr, an effective delay (plus the 10 ms of sampling and hold) of
// 1.016 Δ_cr (seed 1, 40 s; over seeds 1–6 with 60 s runs, 1.00–1.04).
func TestDelayedFeedbackHopf(t *testing.T) {
	t.Parallel()
	dcr := ddeCritical()
	run := func(f float64) float64 {
		return amplitude(t, pools(sim.Seconds(f*dcr), 40*sim.Second, "", ""), 10*sim.Second)
	}
	if a := run(0.8); a > 0.25 {
		t.Errorf("at 0.8 Δ_cr the split should be stable: amplitude %.3f", a)
	}
	if a := run(1.3); a < 1 {
		t.Errorf("at 1.3 Δ_cr the pools should oscillate: amplitude %.3f", a)
	}
	// Least squares of a² against f over 1.1 … 1.4 Δ_cr.
	var fs, as []float64
	for _, f := range []float64{1.1, 1.2, 1.3, 1.4} {
		a := run(f)
		fs, as = append(fs, f), append(as, a*a)
	}
	var mf, ma float64
	for i := range fs {
		mf, ma = mf+fs[i]/4, ma+as[i]/4
	}
	var sxy, sxx float64
	for i := range fs {
		sxy += (fs[i] - mf) * (as[i] - ma)
		sxx += (fs[i] - mf) * (fs[i] - mf)
	}
	onset := mf - ma/(sxy/sxx)                 // bus delay at which a² extrapolates to 0, in Δ_cr
	effective := onset + ddeStep.Seconds()/dcr // plus sampling and hold
	t.Logf("Δ_cr = %.4f s; measured onset at a bus delay of %.3f Δ_cr, an effective delay of %.3f Δ_cr", dcr, onset, effective)
	if math.Abs(effective-1) > 0.1 {
		t.Errorf("measured threshold %.3f Δ_cr (effective delay), want within 10%% of the fluid model", effective)
	}
}

// TestHysteresisRemovesFlapping: at 1.4 Δ_cr the pools flap, and still
// do after one is degraded for 10 s and recovers; with hysteresis (a
// change needs a 10% shift and a second's dwell, at most a 10% step,
// so each decision sees the effect of the last) they settle back to the
// symmetric split. Measured: amplitude 1.69 without, 0.08 with.
func TestHysteresisRemovesFlapping(t *testing.T) {
	t.Parallel()
	delay := sim.Seconds(1.4 * ddeCritical())
	kick := `faults:
  - {kind: degradation, at: 15s, duration: 10s, target: {names: [pool-0]}, params: {slowdown: 1.5}}
`
	plain := amplitude(t, pools(delay, 60*sim.Second, "", kick), 35*sim.Second)
	damped := amplitude(t, pools(delay, 60*sim.Second, ", hysteresis: 0.1, dwell: 1s, max_step: 0.1", kick), 35*sim.Second)
	if plain < 1 || damped > 0.2 {
		t.Errorf("amplitude after the kick: %.3f without hysteresis (want > 1), %.3f with (want < 0.2)", plain, damped)
	}
}

// TestLeaderElectedControllerActuatesAlone: a routing controller on three
// members elected with client-go leases. Every decision is taken by a
// member that leads at that moment, decisions by two different members
// interleave only inside the windows when two lead at once (here, while
// the old leader sleeps through a 30 s pause and after it resumes), and
// those windows are measured (dual_leader_time) and are what the
// decoherence metric reports.
func TestLeaderElectedControllerActuatesAlone(t *testing.T) {
	t.Parallel()
	src := `
name: leader
seed: 3
duration: 6m
topology:
  regions: [{name: east, zones: [a, b, c]}, {name: west}]
  network: {same_zone: 0.5ms, same_region: 1ms, cross_region: 10ms}
  services: [{name: api, replicas: 4, concurrency: 8, zones: [east, west], service_time: {dist: exponential, mean: 20ms}}]
  clients: [{name: users, target: api, rate: 100/s, edge: true, zone: east/a}]
state:
  control_plane: {store: east/a, members: 3, zones: [east/a, east/b, east/c]}
strategies:
  - name: elected
    election: client-go
    controller: {pattern: leader, interval: 1s, engine: {kind: scoring, params: {beta: 5}}}
faults:
  - {kind: pause, at: 2m, duration: 30s, target: {names: [control-plane-0]}}
`
	sc, err := scenarios.Parse("leader.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.Build(0, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	w := b.World
	members := state.Of(w).Members()
	type span struct{ from, to sim.Time }
	var dual []span // when two members led
	leading := map[string][]span{}
	open := map[string]sim.Time{}
	dualFrom := sim.Time(-1)
	probe := w.Eng.Handle("probe", func(uint64) {
		now, n := w.Eng.Now(), 0
		for _, m := range members {
			if m.Leading() {
				n++
				if _, ok := open[m.Name]; !ok {
					open[m.Name] = now
				}
			} else if from, ok := open[m.Name]; ok {
				leading[m.Name] = append(leading[m.Name], span{from, now})
				delete(open, m.Name)
			}
		}
		switch {
		case n >= 2 && dualFrom < 0:
			dualFrom = now
		case n < 2 && dualFrom >= 0:
			dual = append(dual, span{dualFrom, now})
			dualFrom = -1
		}
	})
	const tick = 10 * sim.Millisecond
	for ts := sim.Time(0); ts < sc.Duration.T(); ts += tick {
		w.Eng.At(ts, topology.ClassControl, probe, 0)
	}
	w.Start(sc.Duration.T())
	w.Eng.Run(sc.Duration.T())
	w.Drain(sc.Drain.T())
	for name, from := range open {
		leading[name] = append(leading[name], span{from, sc.Duration.T()})
	}
	within := func(spans []span, t sim.Time) bool {
		for _, s := range spans {
			if t >= s.from-tick && t <= s.to+tick {
				return true
			}
		}
		return false
	}
	audit := routectl.Of(w).Audit()
	if len(audit) < 200 {
		t.Fatalf("only %d decisions", len(audit))
	}
	actors := map[string]bool{}
	for i, a := range audit {
		actors[a.Actor] = true
		if !within(leading[a.Actor], a.At) {
			t.Errorf("%s decided at %v without leading", a.Actor, a.At)
		}
		// Two members' decisions interleaving: A, then B, then A again.
		if i >= 2 && audit[i-1].Actor != a.Actor && audit[i-2].Actor == a.Actor && !within(dual, audit[i-1].At) {
			t.Errorf("%s and %s interleaved at %v outside any split-brain window", a.Actor, audit[i-1].Actor, audit[i-1].At)
		}
	}
	if len(actors) < 2 || len(dual) == 0 {
		t.Fatalf("want a failover and a split-brain window; actors %v, windows %v", actors, dual)
	}
	total := 0.0
	for _, d := range dual {
		total += (d.to - d.from).Seconds()
	}
	if m := b.Summary()["dual_leader_time"]; math.Abs(m-total) > 0.5 {
		t.Errorf("dual_leader_time %.2fs, the probe saw %.2fs", m, total)
	}
	if total < 10 || total > 40 {
		t.Errorf("split-brain windows %v (%.1fs): want the pause's, 15–30 s", dual, total)
	}
}
