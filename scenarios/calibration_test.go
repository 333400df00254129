package scenarios_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// The calibration tests check the simulator against queueing theory. Their
// tolerances follow from run length: for an M/M/1 queue the variance of the
// mean of n sojourn times is about ρ(2+5ρ−4ρ²+ρ³)/((1−ρ)⁴μ²n) (Daley 1968),
// so each run is long enough for a relative standard error near 1%, and a
// 3% tolerance is about three standard errors.

func run(t *testing.T, src string) *scenarios.Result {
	t.Helper()
	sc, err := scenarios.Parse(t.Name()+".yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return runScenario(t, sc)
}

func runScenario(t *testing.T, sc *scenarios.Scenario) *scenarios.Result {
	t.Helper()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func builtin(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mean(res *scenarios.Result, metric string) float64 {
	return res.Strategies[0].Metrics[metric].Mean
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("%s = %.4f, want %.4f ± %.1f%%", what, got, want, 100*tol)
	} else {
		t.Logf("%s = %.4f (theory %.4f, off by %.2f%%)", what, got, want, 100*math.Abs(got-want)/want)
	}
}

func TestMM1MeanSojourn(t *testing.T) {
	cases := []struct {
		rho          float64
		duration     string
		replications int
	}{
		{0.5, "50000s", 4},   // n ≈ 100k: relative SE 0.85%
		{0.8, "150000s", 8},  // n ≈ 960k: relative SE 0.91%
		{0.9, "builtin", 20}, // the mm1 built-in: 20 × 5 days, n ≈ 7.8M: 0.68%
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("rho=%g", c.rho), func(t *testing.T) {
			t.Parallel()
			var res *scenarios.Result
			if c.duration == "builtin" {
				res = runScenario(t, builtin(t, "mm1"))
			} else {
				res = run(t, fmt.Sprintf(`
name: mm1-rho-%g
duration: %s
warmup: 1000s
replications: %d
topology:
  services: [{name: s, service_time: {dist: exponential, mean: 1s}}]
  clients: [{name: c, target: s, rate: %g/s}]
`, c.rho, c.duration, c.replications, c.rho))
			}
			within(t, "mean sojourn", mean(res, "sojourn_mean"), 1/(1-c.rho), 0.03)
			within(t, "mean number in system", mean(res, "in_flight_mean"), c.rho/(1-c.rho), 0.03)
		})
	}
}

// erlangC is the probability that an arrival to an M/M/c queue with
// offered load a = λ/μ Erlangs must wait.
func erlangC(c int, a float64) float64 {
	term, sum := 1.0, 0.0
	for k := 0; k < c; k++ {
		sum += term
		term *= a / float64(k+1)
	}
	top := term * float64(c) / (float64(c) - a)
	return top / (sum + top)
}

func TestMMcErlangC(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "mmc"))
	pw := erlangC(4, 3.6)
	within(t, "P(wait)", mean(res, "wait_probability"), pw, 0.03)
	within(t, "mean wait", mean(res, "queue_wait_mean"), pw/(4-3.6), 0.03)
}

func TestErlangCReference(t *testing.T) {
	// Textbook value: c = 2, a = 1 Erlang ⇒ C = 1/3.
	if got := erlangC(2, 1); math.Abs(got-1.0/3) > 1e-12 {
		t.Fatalf("erlangC(2, 1) = %g, want 1/3", got)
	}
}

// TestLittlesLaw checks L = λW on a multi-region, multi-service topology
// with network latency, timeouts and rejections: L is measured as the time
// average of requests in the system, λ and W from the requests themselves.
func TestLittlesLaw(t *testing.T) {
	t.Parallel()
	res := run(t, `
name: little
duration: 20000s
warmup: 100s
replications: 2
topology:
  regions: [{name: east, zones: [a, b]}, {name: west}]
  network:
    same_region: 1ms
    cross_region: {dist: uniform, min: 30ms, max: 50ms}
  services:
    - {name: api, replicas: 4, concurrency: 2, queue: 5, zones: [east, west], service_time: {dist: lognormal, median: 40ms, sigma: 0.8}}
    - {name: search, replicas: 2, service_time: {dist: exponential, mean: 100ms}, zones: [west], error_rate: 2%}
  clients:
    - {name: web, target: api, rate: 120/s, timeout: 300ms, callers: 3, zone: east/a}
    - {name: mobile, target: api, rate: 40/s, arrival: constant, zone: west/a}
    - {name: batch, target: search, rate: 15/s, timeout: 1s, zone: east/b}
`)
	lambda, w := mean(res, "request_rate"), mean(res, "sojourn_mean")
	within(t, "L (time-average in system) vs λW", mean(res, "in_flight_mean"), lambda*w, 0.01)
	for _, o := range []string{"requests_timeout", "requests_rejected", "requests_error"} {
		if mean(res, o) == 0 {
			t.Errorf("%s = 0; the topology should exercise every outcome", o)
		}
	}
}
