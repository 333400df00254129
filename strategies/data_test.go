package strategies_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/state"
)

// informed notes when the last replica caught up.
type informed struct {
	at   sim.Time
	done bool
}

func (i *informed) DataDivergence(now sim.Time, behind, _ int) {
	if behind == 0 && !i.done {
		i.at, i.done = now, true
	}
}
func (*informed) Replicated(sim.Time, sim.Time)     {}
func (*informed) WriteConverged(sim.Time, sim.Time) {}
func (*informed) Backlog(sim.Time, int)             {}

// gossipWorld is n data replicas in one zone (1 ms apart), every one a
// replica of the single key (full replication, as Demers' sites), each
// running anti-entropy with cfg. A rumour — a new version of the key — is
// put on replica 0 at time 0.
func gossipWorld(t testing.TB, n int, seed uint64, cfg strategies.AntiEntropyConfig) (*topology.World, *informed) {
	t.Helper()
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Network:  topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}},
		Services: []topology.ServiceSpec{{Name: "db", Replicas: n, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: func(r *rand.Rand) topology.Picker { return strategies.NewRoundRobin(r) }}, seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.New(w, state.Spec{Control: state.ControlPlaneSpec{Service: -1}}); err != nil {
		t.Fatal(err)
	}
	d, err := data.New(w, data.Spec{Service: 0, Mode: data.Leaderless, Keys: 1, RF: n, Size: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Configure(data.Policy{}, func(rng *rand.Rand) data.Repairer { return strategies.NewAntiEntropy(cfg, rng) }); err != nil {
		t.Fatal(err)
	}
	inf := &informed{}
	d.Observe(inf)
	d.Put(w.Replicas[0], 0, 1)
	return w, inf
}

// gossipRounds runs the rumour until every replica holds it and returns
// the number of rounds (aligned cycles of one second) it took.
func gossipRounds(t testing.TB, n int, seed uint64, push, pull bool) int {
	cfg := strategies.AntiEntropyConfig{Interval: sim.Second, Aligned: true, Method: data.RepairMerkle, Depth: 15, Chunk: 1000,
		Push: push, Pull: pull, HashSize: 32, Stream: 24 << 20}
	w, inf := gossipWorld(t, n, seed, cfg)
	horizon := 200 * sim.Second
	w.Start(horizon)
	for !inf.done && w.Eng.Now() < horizon {
		w.Eng.Run(w.Eng.Now() + sim.Second)
	}
	if !inf.done {
		t.Fatalf("n=%d seed %d: the rumour never reached every replica", n, seed)
	}
	return int(inf.at / sim.Second) // round r's pushes land a few ms after r seconds
}

// TestPushGossipRounds checks the random phone-call push model (every
// round each replica calls one other uniformly at random and pushes what
// it knows) against its known round count: log₂n + ln n + O(1) (Frieze and
// Grimmett 1985; Pittel 1987), bracketed by Doerr and Künnemann (2014):
// ⌊log₂n⌋ + ln n − 1.116 ≤ E[rounds] ≤ ⌈log₂n⌉ + ln n + 2.765
// (reconcile-slo.md §3.4). The rounds are produced by the simulator's own
// anti-entropy (aligned cycles, push only, Merkle comparison).
//
// Tolerance: the sample mean over S seeds must lie in the Doerr–Künnemann
// interval widened by three standard errors of the mean (the round count's
// spread is O(1), so with S = 200 at n = 100 and S = 40 at n = 1000 the
// widening is a few tenths of a round).
func TestPushGossipRounds(t *testing.T) {
	for _, c := range []struct{ n, seeds int }{{100, 200}, {1000, 40}} {
		if testing.Short() && c.n > 100 {
			continue
		}
		sum, sq := 0.0, 0.0
		for s := 0; s < c.seeds; s++ {
			r := float64(gossipRounds(t, c.n, uint64(s+1), true, false))
			sum += r
			sq += r * r
		}
		k := float64(c.seeds)
		mean := sum / k
		se := math.Sqrt((sq/k - mean*mean) / (k - 1))
		lg, ln := math.Log2(float64(c.n)), math.Log(float64(c.n))
		lo, hi := math.Floor(lg)+ln-1.116, math.Ceil(lg)+ln+2.765
		t.Logf("push, n=%d: mean %.2f rounds (±%.2f s.e., %d seeds); log₂n+ln n = %.2f; Doerr–Künnemann [%.2f, %.2f]", c.n, mean, se, c.seeds, lg+ln, lo, hi)
		if mean < lo-3*se || mean > hi+3*se {
			t.Errorf("n=%d: mean %.2f rounds outside [%.2f, %.2f] ± 3 s.e.", c.n, mean, lo, hi)
		}
	}
}

// TestPushPullFasterThanPush: Karp et al. (FOCS 2000): push-pull needs
// log₃n + O(log log n) rounds, fewer than push alone.
func TestPushPullFasterThanPush(t *testing.T) {
	push, both := 0, 0
	for s := uint64(1); s <= 30; s++ {
		push += gossipRounds(t, 100, s, true, false)
		both += gossipRounds(t, 100, s, true, true)
	}
	t.Logf("n=100 over 30 seeds: push %.2f rounds, push-pull %.2f (log₃n = %.2f)", float64(push)/30, float64(both)/30, math.Log(100)/math.Log(3))
	if both >= push {
		t.Errorf("push-pull took %d rounds in total, push %d: want fewer", both, push)
	}
}

// migrationWorld is four orders replicas (code v1 speaks schema 1, v2
// schema 2) over a primary-mode database whose schema key is at 1; at 10 s
// schema 3 (expand and contract) is requested and v2 deployed. With stuck,
// orders-3's new pod never becomes ready.
func migrationWorld(t *testing.T, stuck bool) (*topology.World, *state.Key) {
	t.Helper()
	spec := topology.Spec{
		Places:  []topology.Place{{Region: "r", Zone: "a"}},
		Network: topology.NetworkSpec{SameZone: sim.Constant{V: 0.0005}},
		Services: []topology.ServiceSpec{
			{Name: "orders", Replicas: 4, Concurrency: 8, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.002}},
			{Name: "db", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}},
		},
		Clients: []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 50}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: func(r *rand.Rand) topology.Picker { return strategies.NewRoundRobin(r) }}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.New(w, state.Spec{
		Keys:     []state.KeySpec{{Name: "schema", Kind: state.Schema, Service: 1}},
		Versions: []state.VersionSpec{{Service: 0, Version: 2, Schema: 2, ReadyAfter: 5 * sim.Second}},
		Changes:  []state.ChangeSpec{{At: 10 * sim.Second, Key: 0, Version: 3}, {At: 10 * sim.Second, Key: -1, Service: 0}},
		Control:  state.ControlPlaneSpec{Service: -1},
	}); err != nil {
		t.Fatal(err)
	}
	d, err := data.New(w, data.Spec{Service: 1, Mode: data.Primary, Keys: 100, Size: 100,
		Compat: []state.CompatRule{
			{Write: true, Code: 2, DB: 1, Outcome: state.CompatFail},
			{Write: true, Code: 1, DB: 3, Outcome: state.CompatCorrupt},
			{Code: 1, DB: 3, Outcome: state.CompatFail},
		},
		Workload: []data.Workload{{Client: 0, Fraction: 1, Reads: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	dep := strategies.DeploymentConfig{MaxSurge: 0.25, MaxUnavailable: 0, MaxSurgePods: -1, MaxUnavailablePods: -1, ProgressDeadline: 600 * sim.Second}
	c := state.Control{
		Reconciler: func(*rand.Rand) state.Reconciler { return &strategies.Migration{Interval: 10 * sim.Second} },
		Rollout:    func(*rand.Rand) state.Rollout { return strategies.NewDeployment(dep) },
	}
	if err := state.Of(w).Configure(c); err != nil {
		t.Fatal(err)
	}
	if err := d.Configure(strategies.DefaultDataPolicy(), nil); err != nil {
		t.Fatal(err)
	}
	if stuck {
		state.Of(w).FailPods(w.Services[0].Replicas[3])
	}
	k, _ := state.Of(w).Key("schema")
	return w, k
}

// TestMigrationCoordinator: the coordinator applies the expand at once
// and the contract only once every orders replica runs v2 (pgroll's
// complete after the clients moved); with one replica stuck on v1 it never
// contracts, and no write is ever corrupted.
func TestMigrationCoordinator(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		w, k := migrationWorld(t, stuck)
		db := w.Services[1].Replicas
		var at12 state.Version
		probe := w.Eng.Handle("probe", func(uint64) { at12 = state.Of(w).NodeOf(db[0]).Value(k).Version })
		w.Eng.At(12*sim.Second, topology.ClassObserve, probe, 0)
		w.Start(3 * sim.Minute)
		w.Eng.Run(3 * sim.Minute)
		d, _ := data.Of(w)
		want := state.Version(3)
		if stuck {
			want = 2
		}
		for _, r := range db {
			if got := state.Of(w).NodeOf(r).Value(k).Version; got != want {
				t.Errorf("stuck %v: %s at schema %d after 3 min, want %d", stuck, r.Name, got, want)
			}
		}
		if at12 != 2 {
			t.Errorf("stuck %v: schema %d two seconds after the request, want the expand (2) applied at once", stuck, at12)
		}
		if st := d.Stats(); st.CorruptWrites != 0 || st.SchemaFailures != 0 || st.Acked == 0 {
			t.Errorf("stuck %v: %d corrupt writes, %d schema failures, %d writes acknowledged", stuck, st.CorruptWrites, st.SchemaFailures, st.Acked)
		}
	}
}
