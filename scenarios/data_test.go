package scenarios_test

import (
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// TestSchemaMigrationBuiltin (seed #3): applying the contract at once
// corrupts the stuck v1 replica's writes and fails its reads; the
// coordinator holds the contract back and nothing is corrupted.
func TestSchemaMigrationBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "schema-migration")
	naive, coord := m["migrate-at-once"], m["coordinator"]
	if !every(naive["corrupted_writes"], func(v float64) bool { return v > 1000 }) ||
		!every(naive["failures_schema_mismatch"], func(v float64) bool { return v > 1000 }) {
		t.Errorf("migrate-at-once: corrupted writes %v, schema failures %v; want thousands of each",
			naive["corrupted_writes"].Values, naive["failures_schema_mismatch"].Values)
	}
	for _, k := range []string{"corrupted_writes", "corrupt_reads", "failures_schema_mismatch"} {
		if !every(coord[k], func(v float64) bool { return v == 0 }) {
			t.Errorf("coordinator: %s %v, want none", k, coord[k].Values)
		}
	}
	if coord["config_unconverged"].Mean != 1 || naive["config_unconverged"].Mean != 0 {
		t.Errorf("unconverged schema changes: coordinator %v, at once %v; want the contract held back (1) and applied (0)",
			coord["config_unconverged"].Values, naive["config_unconverged"].Values)
	}
	if coord["route_success_rate"].Mean < 0.999 || naive["route_success_rate"].Mean > 0.9 {
		t.Errorf("success rate %.4f (coordinator) vs %.4f (at once)", coord["route_success_rate"].Mean, naive["route_success_rate"].Mean)
	}
}

// TestFlashSaleCacheBuiltin (seed #4): a 5 min TTL shows the old price
// for minutes after each change; invalidation fixes it except in the
// zone whose invalidations are lost; a 30 s TTL bounds it at ten times
// the origin reads.
func TestFlashSaleCacheBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "flash-sale-cache")
	ttl, inv, short := m["ttl-5m"], m["ttl-5m-invalidate"], m["ttl-30s"]
	st := func(s string) float64 { return m[s]["stale_read_rate"].Mean }
	if st("ttl-5m") < 0.15 || st("ttl-5m-invalidate") < 0.03 || st("ttl-5m-invalidate") > 0.1 || st("ttl-30s") > 0.03 || st("ttl-30s") == 0 {
		t.Errorf("stale read rate %.4f (ttl-5m) %.4f (invalidate) %.4f (ttl-30s); want > 15%%, 3–10%%, (0, 3%%]", st("ttl-5m"), st("ttl-5m-invalidate"), st("ttl-30s"))
	}
	if inv["invalidations_lost"].Mean == 0 || ttl["invalidations_lost"].Mean != 0 {
		t.Errorf("invalidations lost: %v with invalidation, %v without", inv["invalidations_lost"].Values, ttl["invalidations_lost"].Values)
	}
	if short["store_read_rate"].Mean < 5*ttl["store_read_rate"].Mean {
		t.Errorf("origin reads %.3f/s (30 s TTL) vs %.3f/s (5 min): want many times more", short["store_read_rate"].Mean, ttl["store_read_rate"].Mean)
	}
	for name, s := range m {
		if s["cache_hit_rate"].Mean < 0.999 {
			t.Errorf("%s: cache hit rate %.5f", name, s["cache_hit_rate"].Mean)
		}
	}
}

// TestGossipHealBuiltin: after the partition heals, hints and both kinds
// of anti-entropy bring every replica back; without repair writes stay
// unconverged. Merkle trees stream far less than flat checksums.
func TestGossipHealBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "gossip-heal")
	if !every(m["no-repair"]["data_unconverged"], func(v float64) bool { return v > 500 }) {
		t.Errorf("no-repair: unconverged writes %v, want hundreds", m["no-repair"]["data_unconverged"].Values)
	}
	for _, s := range []string{"hints", "merkle", "checksum"} {
		if !every(m[s]["data_unconverged"], func(v float64) bool { return v == 0 }) {
			t.Errorf("%s: unconverged writes %v, want none", s, m[s]["data_unconverged"].Values)
		}
		if mx := m[s]["data_convergence_max"].Mean; mx < 120 || mx > 300 {
			t.Errorf("%s: longest convergence %.0f s, want the 120 s partition plus under 3 min of repair", s, mx)
		}
		if m[s]["replica_divergence_rate"].Mean >= m["no-repair"]["replica_divergence_rate"].Mean {
			t.Errorf("%s: divergence %.4f, no better than no repair", s, m[s]["replica_divergence_rate"].Mean)
		}
	}
	if mx := m["hints"]["data_convergence_max"].Mean; mx > 135 {
		t.Errorf("hints: longest convergence %.0f s, want within a 10 s hint check of the heal", mx)
	}
	if mk, ck := m["merkle"]["anti_entropy_bytes"].Mean, m["checksum"]["anti_entropy_bytes"].Mean; mk <= 0 || ck < 3*mk {
		t.Errorf("anti-entropy bytes %.0f (merkle) vs %.0f (checksum), want checksum several times merkle", mk, ck)
	}
}

// TestQuorumLagBuiltin: ONE reads stale behind the lagging replica;
// every intersecting quorum reads none; blocking read repair and
// write-ALL pay the lag in latency.
func TestQuorumLagBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "quorum-lag")
	if m["one"]["stale_read_rate"].Mean < 0.02 {
		t.Errorf("one: stale read rate %.4f, want several percent", m["one"]["stale_read_rate"].Mean)
	}
	for _, s := range []string{"quorum", "quorum-no-rr", "write-all"} {
		if !every(m[s]["stale_reads"], func(v float64) bool { return v == 0 }) {
			t.Errorf("%s: stale reads %v with R + W > N", s, m[s]["stale_reads"].Values)
		}
	}
	fast, slow := 0.1, 0.45
	for s, want := range map[string]bool{"one": false, "quorum-no-rr": false, "quorum": true, "write-all": true} {
		p99 := m[s]["latency_p99"].Mean
		if want && p99 < slow || !want && p99 > fast {
			t.Errorf("%s: latency p99 %.3f s", s, p99)
		}
	}
	if m["quorum"]["read_repairs"].Mean < 1000 || m["quorum-no-rr"]["read_repairs"].Mean != 0 {
		t.Errorf("read repairs %v (quorum), %v (no read repair)", m["quorum"]["read_repairs"].Values, m["quorum-no-rr"]["read_repairs"].Values)
	}
}

// TestDatastoreModeTypo: a mistyped datastore mode is reported with a
// suggestion (the golden fixture testdata/errors/data.yaml has the rest).
func TestDatastoreModeTypo(t *testing.T) {
	src := `name: bad
duration: 1m
topology:
  services: [{name: api, service_time: 1ms}]
  clients: [{name: users, target: api, rate: 10/s}]
state:
  datastore: {mode: leaderles}
`
	_, err := scenarios.Parse("mode.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `mode.yaml:7:21: state.datastore.mode: expected primary or leaderless, got "leaderles" (did you mean leaderless?)`) {
		t.Errorf("a mistyped mode is not reported: %v", err)
	}
}

// TestLagSteeringBuiltin: the data layer's replication lag reaches the
// routing controller's lag sensor; a controller scoring it moves the
// traffic off the lagging replica's region, a lag-blind one keeps
// serving a third of its reads stale.
func TestLagSteeringBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "lag-steering")
	blind, aware := m["lag-blind"], m["lag-aware"]
	if !every(blind["stale_read_rate"], func(v float64) bool { return v > 0.25 }) ||
		!every(aware["stale_read_rate"], func(v float64) bool { return v < 0.01 }) {
		t.Errorf("stale read rate %v (lag-blind) vs %v (lag-aware); want > 25%% and < 1%%",
			blind["stale_read_rate"].Values, aware["stale_read_rate"].Values)
	}
	if blind["lag_exposure"].Mean < 5 || aware["lag_exposure"].Mean > 0.1 {
		t.Errorf("lag exposure %.3f s (lag-blind) vs %.3f s (lag-aware); want the 20 s lag seen by about half the blind traffic and by none of the aware",
			blind["lag_exposure"].Mean, aware["lag_exposure"].Mean)
	}
	if aware["route_success_rate"].Mean < 0.999 {
		t.Errorf("lag-aware success rate %.4f", aware["route_success_rate"].Mean)
	}
}
