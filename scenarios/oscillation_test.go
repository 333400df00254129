package scenarios_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// pools is two symmetric M/M/∞ pools (exponential service, mean 1/μ, so
// the service rate of a pool is μ·q) fed at λ by one sidecar whose
// controller sets multinomial-logit weights exp(−θ·q_i) on the pools'
// in-flight counts as the signal bus delivers them, Δ old: the fluid model
// of Pender, Rand and Wesson (routing.md §5.3) with λ=rate, θ=1/load_scale.
func pools(rate, mu, theta float64, delay, step sim.Time, duration sim.Time, seed uint64) string {
	return fmt.Sprintf(`
name: delayed-logit
seed: %d
duration: %v
series_interval: 10s
topology:
  services: [{name: pool, replicas: 2, concurrency: 1000000, service_time: {dist: exponential, mean: %gs}}]
  clients: [{name: c, target: pool, rate: %g/s}]
  telemetry: {interval: %v, delay: %v}
strategies:
  - name: logit
    controller:
      pattern: sidecar
      scope: sidecar
      interval: %v
      engine: {kind: scoring, params: {latency: 0, error_rate: 0, unhealthy: 0, load: 1, load_scale: %g, choice: logit, beta: 1}}
`, seed, time(duration), 1/mu, rate, time(step), time(delay), time(step), 1/theta)
}

func time(t sim.Time) string { return fmt.Sprintf("%gs", t.Seconds()) }

// amplitude runs the pools and returns the standard deviation of
// u = q1 − q2 sampled every 10 ms after a settling period.
func amplitude(t *testing.T, src string, settle sim.Time) float64 {
	t.Helper()
	sc, err := scenarios.Parse("dde.yaml", []byte(src))
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
	for ts := settle; ts < sc.Duration.T(); ts += 10 * sim.Millisecond {
		w.Eng.At(ts, topology.ClassObserve, k, 0)
	}
	w.Start(sc.Duration.T())
	w.Eng.Run(sc.Duration.T())
	m := sum / float64(n)
	return math.Sqrt(sq/float64(n) - m*m)
}

func TestDDESweep(t *testing.T) {
	rate, mu, theta := 4000.0, 1.0, 0.0025
	lt := rate * theta
	dcr := math.Acos(-2*mu/lt) / math.Sqrt(lt*lt/4-mu*mu)
	t.Logf("Δcr = %.4f s", dcr)
	for _, f := range []float64{0, 0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3, 1.4, 1.6, 1.8} {
		d := sim.Seconds(f * dcr)
		a := amplitude(t, pools(rate, mu, theta, d, 10*sim.Millisecond, 60*sim.Second, 1), 20*sim.Second)
		t.Logf("Δ/Δcr=%.2f  Δ=%.3fs  θ·sd(u)=%.3f  (θ·sd)²=%.4f", f, d.Seconds(), theta*a, theta*theta*a*a)
	}
}

func TestDDEMitigations(t *testing.T) {
	rate, mu, theta := 4000.0, 1.0, 0.0025
	lt := rate * theta
	dcr := math.Acos(-2*mu/lt) / math.Sqrt(lt*lt/4-mu*mu)
	d := sim.Seconds(1.4 * dcr)
	base := pools(rate, mu, theta, d, 10*sim.Millisecond, 40*sim.Second, 1)
	for _, extra := range []string{"", "hysteresis: 0.1", "hysteresis: 0.2", "hysteresis: 0.3", "hysteresis: 0.1, dwell: 1s", "hysteresis: 0.2, dwell: 2s", "max_step: 0.01", "damping: 0.1"} {
		src := base
		if extra != "" {
			src = strings.Replace(base, "beta: 1}", "beta: 1, "+extra+"}", 1)
		}
		a := amplitude(t, src, 10*sim.Second)
		t.Logf("%-30s θ·sd(u)=%.3f", extra, theta*a)
	}
}

func TestDDEHysteresisPerturbed(t *testing.T) {
	rate, mu, theta := 4000.0, 1.0, 0.0025
	lt := rate * theta
	dcr := math.Acos(-2*mu/lt) / math.Sqrt(lt*lt/4-mu*mu)
	d := sim.Seconds(1.4 * dcr)
	base := pools(rate, mu, theta, d, 10*sim.Millisecond, 60*sim.Second, 1) + `
faults:
  - {kind: degradation, at: 15s, duration: 10s, target: {names: [pool-0]}, params: {slowdown: 1.5}}
`
	for _, extra := range []string{"", "hysteresis: 0.1, max_step: 0.002", "hysteresis: 0.1, max_step: 0.005", "hysteresis: 0.05, dwell: 500ms, max_step: 0.05", "hysteresis: 0.1, dwell: 1s, max_step: 0.1", "hysteresis: 0.05, dwell: 1s, max_step: 0.05", "max_step: 0.002"} {
		src := base
		if extra != "" {
			src = strings.Replace(base, "beta: 1}", "beta: 1, "+extra+"}", 1)
		}
		a := amplitude(t, src, 35*sim.Second)
		sc, _ := scenarios.Parse("x", []byte(src))
		res := runScenario(t, sc)
		t.Logf("%-30s θ·sd(u) after=%.3f actuations=%v osc=%v", extra, theta*a, res.Strategies[0].Metrics["actuations"].Mean, res.Strategies[0].Metrics["oscillation_index"].Mean)
	}
}
