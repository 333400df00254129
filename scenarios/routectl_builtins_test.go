package scenarios_test

import (
	"context"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// Tests of the entanglement-routing built-ins: each checks the behaviour
// its header documents, from its summary (and, where the summary cannot
// show it, its series or audit trail).

func runFull(t *testing.T, name string) *scenarios.Result {
	t.Helper()
	res, err := scenarios.Run(context.Background(), shortened(t, name), scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func metricsOf(res *scenarios.Result) map[string]map[string]metrics.Stat {
	out := map[string]map[string]metrics.Stat{}
	for _, s := range res.Strategies {
		out[s.Name] = s.Metrics
	}
	return out
}

func TestOscillationIncidentBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "oscillation-incident")
	osc := func(s string) float64 { return m[s]["oscillation_index"].Mean }
	for _, fix := range []string{"leader-election", "hysteresis", "breaker"} {
		if osc("competing") < 2*osc(fix) {
			t.Errorf("competing controllers' oscillation_index %.4f is not twice %s's %.4f", osc("competing"), fix, osc(fix))
		}
		if d, c := m[fix]["route_success_rate:during"].Mean, m["competing"]["route_success_rate:during"].Mean; d <= c {
			t.Errorf("%s's success during the incident %.4f is not above competing's %.4f", fix, d, c)
		}
	}
	if m["competing"]["route_unconverged"].Mean == 0 || m["hysteresis"]["route_unconverged"].Mean != 0 {
		t.Errorf("route_unconverged: competing %v (want > 0), hysteresis %v (want 0)", m["competing"]["route_unconverged"].Mean, m["hysteresis"]["route_unconverged"].Mean)
	}
	if !every(m["breaker"]["manual_interventions"], func(x float64) bool { return x == 1 }) {
		t.Errorf("the breaker should trip exactly once per run: %v", m["breaker"]["manual_interventions"].Values)
	}
	for _, s := range []string{"competing", "leader-election", "hysteresis"} {
		if m[s]["manual_interventions"].Mean != 0 {
			t.Errorf("%s: manual interventions without a breaker", s)
		}
	}
}

func TestCanaryRollbackBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "canary-rollback")
	rolling := m["rolling"]
	if rolling["rollbacks"].Mean != 0 || rolling["route_success_rate"].Mean > 0.99 {
		t.Errorf("rolling: rollbacks %v, success %.4f; it should ship the bad version", rolling["rollbacks"].Mean, rolling["route_success_rate"].Mean)
	}
	for _, s := range []string{"flagger", "argo-canary", "blue-green"} {
		x := m[s]
		if !every(x["rollbacks"], func(v float64) bool { return v == 1 }) {
			t.Errorf("%s: rollbacks %v, want 1 in every run", s, x["rollbacks"].Values)
		}
		if x["partial_deploy_rate"].Mean != 0.5 {
			t.Errorf("%s: partial_deploy_rate %.2f, want 0.5 (v2 rolled back, v3 completed)", s, x["partial_deploy_rate"].Mean)
		}
		if x["route_success_rate"].Mean < 0.999 || x["requests_error"].Mean > rolling["requests_error"].Mean/20 {
			t.Errorf("%s: success %.5f, %v errors against rolling's %v", s, x["route_success_rate"].Mean, x["requests_error"].Mean, rolling["requests_error"].Mean)
		}
	}
}

func TestServerlessColdStartBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "serverless-cold-start")
	near, warm := m["nearest"], m["warm-registry"]
	if warm["cold_starts"].Mean > near["cold_starts"].Mean/3 {
		t.Errorf("cold starts: registry %v, nearest %v; want at most a third", warm["cold_starts"].Mean, near["cold_starts"].Mean)
	}
	if warm["latency_mean"].Mean >= near["latency_mean"].Mean || warm["latency_p50"].Mean <= near["latency_p50"].Mean {
		t.Errorf("registry mean %.3f / p50 %.3f against nearest %.3f / %.3f: want a lower mean for a higher median", warm["latency_mean"].Mean, warm["latency_p50"].Mean, near["latency_mean"].Mean, near["latency_p50"].Mean)
	}
}

func TestCostPerformanceBuiltin(t *testing.T) {
	t.Parallel()
	res := runFull(t, "cost-performance")
	m := metricsOf(res)
	if c := m["latency-first"]["cost_per_request"].Mean; math.Abs(c-0.004) > 1e-6 {
		t.Errorf("latency-first pays %.5f per request, want the premium 0.004", c)
	}
	aware, capped := strategy(t, res, "cost-aware"), strategy(t, res, "budget-capped")
	if b, d := windowMean(t, aware, "cost_per_request", 180, 600), windowMean(t, aware, "cost_per_request", 660, 1800); b > 0.0011 || d < 0.0038 {
		t.Errorf("cost-aware: %.5f before the misweighted signal, %.5f during; want ~0.001 then the runaway to ~0.004", b, d)
	}
	if d := windowMean(t, capped, "cost_per_request", 660, 1800); d > 0.0016 {
		t.Errorf("budget-capped pays %.5f per request during the misweighted signal; the cap should hold it near 0.0015", d)
	}
	for s := range m {
		if c := m[s]["slo_compliance:latency"].Mean; c < 0.99 {
			t.Errorf("%s misses the latency SLO: %.4f", s, c)
		}
	}
}

func TestMultiRegionFailoverBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "multi-region-failover")
	h, f := m["health-only"], m["fused"]
	for _, x := range []map[string]metrics.Stat{h, f} {
		if x["route_success_rate"].Mean < 0.999 {
			t.Errorf("failover lost requests: %.5f", x["route_success_rate"].Mean)
		}
	}
	if h["lag_exposure"].Mean < 5 || f["lag_exposure"].Mean > 0.5 {
		t.Errorf("lag exposure: health-only %.2fs, fused %.2fs; want the lagging region avoided only by fused", h["lag_exposure"].Mean, f["lag_exposure"].Mean)
	}
	if f["cost_per_request"].Mean >= h["cost_per_request"].Mean {
		t.Errorf("fused should fail over to the cheaper region: %.5f vs %.5f", f["cost_per_request"].Mean, h["cost_per_request"].Mean)
	}
}

func TestThreatIsolationBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "threat-isolation")
	u, p, s := m["unguarded"]["threat_exposure"].Mean, m["security-policy"]["threat_exposure"].Mean, m["threat-scored"]["threat_exposure"].Mean
	if !(u > 0.25 && p < 0.11 && s > p && s < u) {
		t.Errorf("threat exposure: unguarded %.3f, policy %.3f, scored %.3f; want policy at the 0.1 baseline, scored in between", u, p, s)
	}
	for name, x := range m {
		if x["route_success_rate"].Mean < 0.999 {
			t.Errorf("%s: isolation cost availability: %.5f", name, x["route_success_rate"].Mean)
		}
	}
}

func TestDataResidencyBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "data-residency")
	if v := m["latency-only"]["residency_violation_rate"].Mean; v < 0.05 {
		t.Errorf("latency-only violates residency %.3f of the time; the outage should push EU users to us-east", v)
	}
	for _, s := range []string{"precedence", "merge"} {
		if v := m[s]["residency_violation_rate"].Mean; v != 0 {
			t.Errorf("%s violates residency: %.4f", s, v)
		}
		if m[s]["route_loops"].Mean == 0 {
			t.Errorf("%s found no route loop during the policy conflict", s)
		}
	}
	if m["merge"]["rejected_routes"].Mean == 0 || m["precedence"]["rejected_routes"].Mean != 0 {
		t.Errorf("rejected routes: merge %v, precedence %v; want merge to reject the looping routes, precedence to break the loop", m["merge"]["rejected_routes"].Mean, m["precedence"]["rejected_routes"].Mean)
	}
}

func TestNoisyNeighbourBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "noisy-neighbour")
	sh, is := m["shared"], m["isolated"]
	if sh["tenant_success_rate:a"].Mean > 0.95 || is["tenant_success_rate:a"].Mean < 0.99 {
		t.Errorf("tenant a succeeds %.4f shared, %.4f isolated", sh["tenant_success_rate:a"].Mean, is["tenant_success_rate:a"].Mean)
	}
	if is["tenant_latency_p99:a"].Mean > sh["tenant_latency_p99:a"].Mean/2 {
		t.Errorf("tenant a's p99: %.3fs isolated against %.3fs shared", is["tenant_latency_p99:a"].Mean, sh["tenant_latency_p99:a"].Mean)
	}
}

func TestHybridBurstBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "hybrid-burst")
	if s := m["on-prem-only"]["route_success_rate"].Mean; s > 0.8 {
		t.Errorf("on-prem-only should collapse at the peak: success %.3f", s)
	}
	if s := m["burst"]["route_success_rate"].Mean; s < 0.999 {
		t.Errorf("burst should serve the peak: success %.4f", s)
	}
	if b, e := m["burst"]["cost_per_request"].Mean, m["even-split"]["cost_per_request"].Mean; b > 0.85*e {
		t.Errorf("burst costs %.5f per request against even-split's %.5f", b, e)
	}
}

func TestControlPatternsBuiltin(t *testing.T) {
	t.Parallel()
	res := runFull(t, "control-patterns")
	m := metricsOf(res)
	for _, s := range []string{"central", "brokered", "predictive"} {
		if d := m[s]["route_divergence"].Mean; d < 0.02 {
			t.Errorf("%s: route_divergence %.4f; the cut edge should keep its last config", s, d)
		}
	}
	if !math.IsNaN(m["sidecar"]["route_divergence"].Mean) {
		t.Errorf("sidecar decisions are local: route_divergence should be undefined")
	}
	if f := m["brokered"]["decision_fallback_rate"].Mean; f < 0.05 {
		t.Errorf("brokered: fallback rate %.3f; the broker outage should make it fall back", f)
	}
	if f := m["predictive"]["decision_fallback_rate"].Mean; f <= 0 {
		t.Errorf("predictive never detected the model drift")
	}
	if c, s := m["central"]["decision_latency_p99"].Mean, m["sidecar"]["decision_latency_p99"].Mean; c < 5*s {
		t.Errorf("decision_latency_p99: central %.2fs, sidecar %.2fs; the slow engine should show", c, s)
	}
	if o, c := m["overlay"]["actuations"].Mean, m["overlay-coordinated"]["actuations"].Mean; o < 1.5*c {
		t.Errorf("actuations: overlay %v, coordinated %v; taking turns should halve them", o, c)
	}
	// The hierarchical local loop at the cut edge keeps deciding.
	local := 0
	for _, a := range strategy(t, res, "hierarchical").Runs[0].Audit {
		if a.Actor == "users-east/edge" && a.At.Seconds() >= 480 && a.At.Seconds() < 720 && a.Outcome == "applied" {
			local++
		}
	}
	if local < 10 {
		t.Errorf("the hierarchical local loop applied %d decisions during the partition", local)
	}
}

func TestControlPlaneBreachBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "control-plane-breach")
	open, auth := m["open"], m["authenticated"]
	if open["security_violations"].Mean == 0 || open["route_success_rate:during"].Mean > 0.97 {
		t.Errorf("open: %v violations, success during %.3f; the attack should take effect", open["security_violations"].Mean, open["route_success_rate:during"].Mean)
	}
	if auth["security_violations"].Mean != 0 || auth["security_blocked"].Mean == 0 || auth["route_success_rate"].Mean < 0.999 {
		t.Errorf("authenticated: %v violations, %v blocked, success %.4f", auth["security_violations"].Mean, auth["security_blocked"].Mean, auth["route_success_rate"].Mean)
	}
}

func TestRoutingSplitBrainBuiltin(t *testing.T) {
	t.Parallel()
	res := runFull(t, "routing-split-brain")
	m := metricsOf(res)
	cg, naive := m["client-go"], m["naive-lease"]
	if cg["dual_leader_time"].Mean != 0 || cg["leaderless_time"].Mean < 2 {
		t.Errorf("client-go: dual %.1fs, leaderless %.1fs; want no split brain and a failover gap", cg["dual_leader_time"].Mean, cg["leaderless_time"].Mean)
	}
	if d := naive["dual_leader_time"].Mean; d < 15 || d > 35 {
		t.Errorf("naive lease: dual leaders for %.1fs, want ~24 s", d)
	}
	if !(naive["audit_coverage"].Mean < cg["audit_coverage"].Mean && cg["audit_coverage"].Mean < 1) {
		t.Errorf("audit coverage: client-go %.3f, naive %.3f", cg["audit_coverage"].Mean, naive["audit_coverage"].Mean)
	}
	// Staleness is judged by the lease's holder, not by the token the
	// fencing compares (state.Fence), so these catch an off-by-one there:
	// the deposed leader's write carries token 0 against the lease's 1.
	fenced := m["naive-lease-fenced"]
	if fenced["stale_writes_accepted"].Mean != 0 || fenced["stale_writes_rejected"].Mean == 0 {
		t.Errorf("fencing: %v stale writes accepted, %v rejected; want none accepted and some rejected",
			fenced["stale_writes_accepted"].Mean, fenced["stale_writes_rejected"].Mean)
	}
	if naive["stale_writes_accepted"].Mean == 0 {
		t.Errorf("without fencing no deposed leader's write reached the store: the check above would be vacuous")
	}
}
