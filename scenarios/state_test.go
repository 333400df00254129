package scenarios_test

import (
	"context"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// runBuiltin runs a built-in (shortened as the determinism tests do) and
// returns each strategy's metrics by strategy name.
func runBuiltin(t *testing.T, name string) map[string]map[string]metrics.Stat {
	t.Helper()
	sc := shortened(t, name)
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]metrics.Stat{}
	for _, s := range res.Strategies {
		out[s.Name] = s.Metrics
	}
	return out
}

// every reports whether f holds for the metric in every replication.
func every(st metrics.Stat, f func(float64) bool) bool {
	for _, v := range st.Values {
		if !f(v) {
			return false
		}
	}
	return len(st.Values) > 0
}

// TestSplitBrainBuiltin: without fencing the deposed leader's writes are
// accepted (and overwrite newer ones); with fencing none is; two leaders
// coexist for a while either way.
func TestSplitBrainBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "split-brain")
	nf, f := m["no-fencing"], m["fencing"]
	if !every(nf["stale_writes_accepted"], func(v float64) bool { return v > 10 }) {
		t.Errorf("no fencing: stale writes accepted %v, want dozens in every run", nf["stale_writes_accepted"].Values)
	}
	if nf["lost_updates"].Mean <= 0 {
		t.Errorf("no fencing: lost updates %v, want some", nf["lost_updates"].Values)
	}
	if !every(f["stale_writes_accepted"], func(v float64) bool { return v == 0 }) ||
		!every(f["stale_writes_rejected"], func(v float64) bool { return v > 0 }) ||
		!every(f["lost_updates"], func(v float64) bool { return v == 0 }) {
		t.Errorf("fencing: accepted %v rejected %v lost %v, want none accepted, some rejected, none lost",
			f["stale_writes_accepted"].Values, f["stale_writes_rejected"].Values, f["lost_updates"].Values)
	}
	for name, s := range m {
		if !every(s["dual_leader_time"], func(v float64) bool { return v > 10 && v < 40 }) {
			t.Errorf("%s: dual leader time %v, want 10–40 s", name, s["dual_leader_time"].Values)
		}
	}
}

// TestHotLoopBuiltin: status writes re-trigger the controller without the
// predicate; GenerationChangedPredicate stops the loop.
func TestHotLoopBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "hot-loop")
	hot, fixed := m["no-predicate"], m["generation-changed"]
	if hot["reconcile_rate"].Mean < 50 || fixed["reconcile_rate"].Mean > 5 {
		t.Errorf("reconcile rate %.1f/s without the predicate, %.1f/s with it; want > 50 and < 5", hot["reconcile_rate"].Mean, fixed["reconcile_rate"].Mean)
	}
	if hot["reconciliation_cost"].Mean < 20*fixed["reconciliation_cost"].Mean {
		t.Errorf("API calls %.0f vs %.0f, want the hot loop 20× costlier", hot["reconciliation_cost"].Mean, fixed["reconciliation_cost"].Mean)
	}
	for name, s := range m {
		if s["config_convergence_time"].Mean > 1 {
			t.Errorf("%s: config convergence %.2fs, want under a second", name, s["config_convergence_time"].Mean)
		}
	}
}

// TestArgoSelfHealFightBuiltin: the old fixed timeout fights every drift
// at high cost; the backoff is an order of magnitude cheaper and leaves the
// drift; without self-heal nothing is repaired.
func TestArgoSelfHealFightBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "argocd-selfheal-fight")
	bo, fx, off := m["self-heal-backoff"], m["self-heal-fixed-5s"], m["no-self-heal"]
	if fx["reconciliation_cost"].Mean < 10*bo["reconciliation_cost"].Mean || fx["drift_events"].Mean < 10*bo["drift_events"].Mean {
		t.Errorf("cost %.0f vs %.0f, drift events %.0f vs %.0f: want the fixed timeout 10× the backoff",
			fx["reconciliation_cost"].Mean, bo["reconciliation_cost"].Mean, fx["drift_events"].Mean, bo["drift_events"].Mean)
	}
	if bo["divergence_mean"].Mean < 0.8 || fx["divergence_mean"].Mean > 0.05 || off["divergence_mean"].Mean < 0.9 {
		t.Errorf("divergence %.3f (backoff) %.3f (fixed) %.3f (off), want > 0.8, < 0.05, > 0.9",
			bo["divergence_mean"].Mean, fx["divergence_mean"].Mean, off["divergence_mean"].Mean)
	}
	if off["repair_operations"].Mean != 0 || bo["drift_alerts"].Mean < 5 {
		t.Errorf("no self-heal repaired %.0f times; backoff fired %.0f drift alerts (want 0 and ≥ 5)", off["repair_operations"].Mean, bo["drift_alerts"].Mean)
	}
}

// TestFlagSyncFailureBuiltin: client-side evaluation serves stale
// variations from the blocked fifth of the SDKs; server-side does not.
func TestFlagSyncFailureBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "flag-sync-failure")
	cl, sv := m["client-side"]["inconsistent_response_rate"].Mean, m["server-side"]["inconsistent_response_rate"].Mean
	if cl < 0.1 || cl > 0.25 || sv > 0.001 {
		t.Errorf("inconsistent responses %.4f client-side, %.5f server-side; want 0.1–0.25 and ≈ 0", cl, sv)
	}
	if m["client-side"]["config_convergence_time"].Mean < 300 {
		t.Errorf("client-side flag changes converged in %.0fs, want the blocked SDKs to hold them back", m["client-side"]["config_convergence_time"].Mean)
	}
}

// TestNodeVersionSkewBuiltin: the upgrade never completes; without
// verification the skew stays, automated rollbacks restore v1, analysis
// soonest.
func TestNodeVersionSkewBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "node-version-skew")
	none, dl, an := m["no-verification"], m["rollback-on-deadline"], m["rollback-on-analysis"]
	for name, s := range m {
		if s["partial_deploy_rate"].Mean != 1 {
			t.Errorf("%s: partial deploy rate %v, want 1", name, s["partial_deploy_rate"].Mean)
		}
	}
	if none["rollbacks"].Mean != 0 || dl["rollbacks"].Mean != 1 || an["rollbacks"].Mean != 1 || none["unconverged_at_end"].Mean != 1 {
		t.Errorf("rollbacks %v/%v/%v, unconverged at end without verification %v; want 0/1/1 and 1",
			none["rollbacks"].Mean, dl["rollbacks"].Mean, an["rollbacks"].Mean, none["unconverged_at_end"].Mean)
	}
	a, d, n := an["route_success_rate"].Mean, dl["route_success_rate"].Mean, none["route_success_rate"].Mean
	if !(a > d && d > n) || a < 0.995 {
		t.Errorf("success rates: analysis %.4f, deadline %.4f, none %.4f; want analysis > deadline > none and analysis ≥ 0.995", a, d, n)
	}
	if !(none["inconsistent_response_rate"].Mean > dl["inconsistent_response_rate"].Mean && dl["inconsistent_response_rate"].Mean > an["inconsistent_response_rate"].Mean) {
		t.Error("inconsistent responses do not order none > deadline > analysis")
	}
}

// TestEnvDriftBuiltin: eu's reverted secret fails requests until the next
// rotation without a reconciler, until the next interval with Flux, and
// for under a second with a watch-driven controller.
func TestEnvDriftBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "env-drift")
	none, flux, watch := m["no-reconciler"], m["flux"], m["watch"]
	if !(none["convergence_time"].Mean > flux["convergence_time"].Mean && flux["convergence_time"].Mean > watch["convergence_time"].Mean) || watch["convergence_time"].Mean > 1 {
		t.Errorf("convergence %.1fs / %.1fs / %.2fs, want none > flux > watch, watch under 1 s",
			none["convergence_time"].Mean, flux["convergence_time"].Mean, watch["convergence_time"].Mean)
	}
	if none["route_success_rate"].Mean > 0.9 || watch["route_success_rate"].Mean < 0.999 {
		t.Errorf("success %.4f without a reconciler, %.4f with the watch; want < 0.9 and > 0.999", none["route_success_rate"].Mean, watch["route_success_rate"].Mean)
	}
	if none["drift_alerts"].Mean != 1 || none["time_to_detect"].Mean != 60 || watch["drift_alerts"].Mean != 0 {
		t.Errorf("alerts %v (time to detect %v) without a reconciler, %v with the watch; want 1 (60 s) and 0",
			none["drift_alerts"].Mean, none["time_to_detect"].Mean, watch["drift_alerts"].Mean)
	}
}

// TestTelemetryGapDelaysDetection: drift during a telemetry gap is not
// observed until the gap ends and the next report arrives; the drift alert
// then fires after its for: period. Reports lost in the gap lower
// telemetry completeness.
func TestTelemetryGapDelaysDetection(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("gap.yaml", []byte(`
name: gap
duration: 20m
warmup: 1m
topology:
  services:
    - {name: api, replicas: 4, service_time: 10ms}
  clients:
    - {name: users, target: api, rate: 10/s}
state:
  keys:
    - {name: cfg, service: api}
faults:
  - {kind: telemetry-gap, at: 5m, duration: 6m, target: {service: api}}
  - {kind: config-drift, at: 6m, target: {names: [api-0]}, params: {key: cfg}}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Strategies[0].Metrics
	// Drift at 6m, seen at the first report after 11m (≤ 10 s later),
	// alerted 1 min after that: 5m to 5m10s + 1m after the drift began.
	if ttd := m["time_to_detect"].Mean; ttd < 360 || ttd > 371 {
		t.Errorf("time to detect %.1fs, want 360–370 s", ttd)
	}
	// 6 of 19 minutes of reports lost.
	if c := m["telemetry_completeness"].Mean; c < 0.67 || c > 0.7 {
		t.Errorf("telemetry completeness %.3f, want about 13/19 = 0.684", c)
	}
	if m["drift_alerts"].Mean != 1 || m["inconsistent_response_rate"].Mean < 0.15 {
		t.Errorf("alerts %v inconsistent %.3f, want 1 alert and a quarter of responses stale from 6m", m["drift_alerts"].Mean, m["inconsistent_response_rate"].Mean)
	}
}
