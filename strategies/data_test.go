package strategies_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
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
		State: &topology.StateSpec{Control: topology.ControlPlaneSpec{Service: -1},
			Data: &topology.DataSpec{Service: 0, Mode: topology.DataLeaderless, Keys: 1, RF: n, Size: 1024}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: func(r *rand.Rand) topology.Picker { return strategies.NewRoundRobin(r) }}, seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.State.Configure(topology.Control{Repair: func(rng *rand.Rand) topology.Repairer { return strategies.NewAntiEntropy(cfg, rng) }}); err != nil {
		t.Fatal(err)
	}
	d, _ := w.State.Data()
	inf := &informed{}
	d.Observe(inf)
	d.Put(w.Replicas[0], 0, 1)
	return w, inf
}

// gossipRounds runs the rumour until every replica holds it and returns
// the number of rounds (aligned cycles of one second) it took.
func gossipRounds(t testing.TB, n int, seed uint64, push, pull bool) int {
	cfg := strategies.AntiEntropyConfig{Interval: sim.Second, Aligned: true, Method: topology.RepairMerkle, Depth: 15, Chunk: 1000,
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
