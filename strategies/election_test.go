package strategies_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
	"pgregory.net/rapid"
)

// electionWorld is three control-plane members in three zones of one
// region (the store next to member 0) over an api service whose
// controller-managed key changes every second, electing with client-go
// leases and reconciling with a work queue.
func electionWorld(t interface {
	Helper()
	Fatal(...any)
}, seed uint64, cfg strategies.LeaseConfig, fencing bool) *topology.World {
	t.Helper()
	spec := topology.Spec{
		Places:  []topology.Place{{Region: "r", Zone: "a"}, {Region: "r", Zone: "b"}, {Region: "r", Zone: "c"}},
		Network: topology.NetworkSpec{SameZone: sim.Constant{V: 0.0005}, SameRegion: sim.Uniform{Min: 0.0005, Max: 0.0015}},
		Services: []topology.ServiceSpec{
			{Name: "api", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.01}, Places: []topology.PlaceID{0, 1, 2}},
			{Name: "cp", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
		},
	}
	w, err := topology.New(spec, topology.Routing{Caller: func(r *rand.Rand) topology.Picker { return strategies.NewRoundRobin(r) }}, seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.New(w, state.Spec{
		Keys:    []state.KeySpec{{Name: "obj", Kind: state.Config, Service: 0}},
		Changes: []state.ChangeSpec{{At: 5 * sim.Second, Key: 0, Every: sim.Second}},
		Control: state.ControlPlaneSpec{Store: 0, Service: 1, Work: 50 * sim.Millisecond},
	}); err != nil {
		t.Fatal(err)
	}
	c := state.Control{
		Elector: func(id int32, rng *rand.Rand) state.Elector { return strategies.NewLeaseElector(cfg, id, rng) },
		Fencing: fencing,
		Reconciler: func(rng *rand.Rand) state.Reconciler {
			return strategies.NewWorkQueue(strategies.WorkQueueConfig{}, rng)
		},
	}
	if err := state.Of(w).Configure(c); err != nil {
		t.Fatal(err)
	}
	return w
}

// leaderLog records leadership over time.
type leaderLog struct {
	w       *topology.World
	changes []sim.Time // times the number of leaders changed
	counts  []int
	dual    sim.Time // time with ≥ 2 leaders
	last    sim.Time
	n       int
}

func (l *leaderLog) Divergence(sim.Time, int, int)            {}
func (l *leaderLog) ObservedDivergence(sim.Time, int)         {}
func (l *leaderLog) Converged(sim.Time, *state.Key, sim.Time) {}
func (l *leaderLog) Leaders(now sim.Time, n int) {
	if l.n >= 2 {
		l.dual += now - l.last
	}
	l.last, l.n = now, n
	l.changes = append(l.changes, now)
	l.counts = append(l.counts, n)
}

// at runs f at time t on w's engine.
func at(w *topology.World, t sim.Time, f func()) {
	k := w.Eng.Handle("test.at", func(uint64) { f() })
	w.Eng.At(t, topology.ClassFault, k, 0)
}

func leader(w *topology.World) *state.Node {
	for _, m := range state.Of(w).Members() {
		if m.Leading() {
			return m
		}
	}
	return nil
}

// TestLeaseFailoverTime crashes the leader and measures how long until
// another member leads. client-go's candidates take over once LeaseDuration
// has passed, on their own clocks, since they last saw the record change,
// at their next attempt (every RetryPeriod·[1, 1+JitterFactor]):
// reconcile-slo.md §2.1 gives LeaseDuration + [0, 2.4 s] = 15–17.4 s.
// The last renewal precedes the crash by up to RetryPeriod and a candidate
// sees it up to one attempt gap later, so single failovers range wider;
// the mean must sit in that window.
func TestLeaseFailoverTime(t *testing.T) {
	cfg := strategies.DefaultLeaseConfig()
	var sum, lo, hi float64
	lo = 1e9
	const runs = 200
	for seed := uint64(1); seed <= runs; seed++ {
		w := electionWorld(t, seed, cfg, false)
		log := &leaderLog{w: w}
		state.Of(w).Observe(log)
		crashAt := 60*sim.Second + sim.Time(seed%2000)*sim.Millisecond // spread over the renew phase
		var crashed *state.Node
		at(w, crashAt, func() {
			crashed = leader(w)
			w.Crash(crashed.Replica)
		})
		w.Start(2 * sim.Minute)
		w.Eng.Run(2 * sim.Minute)
		next := sim.Time(-1)
		for i, c := range log.changes {
			if c > crashAt && log.counts[i] == 1 {
				next = c
				break
			}
		}
		if next < 0 || leader(w) == crashed {
			t.Fatalf("seed %d: no failover after the crash at %v", seed, crashAt)
		}
		d := (next - crashAt).Seconds()
		sum += d
		lo, hi = min(lo, d), max(hi, d)
		// Bounds: the last renewal at most RetryPeriod before the crash,
		// the candidate's observation at most one attempt gap (4.4 s) after
		// it, expiry LeaseDuration later, the acquiring attempt at most one
		// gap after that, plus API latency.
		if d < 15-2-0.01 || d > 15+4.4+4.4+0.05 {
			t.Fatalf("seed %d: failover took %.2fs, outside [13s, 23.8s]", seed, d)
		}
	}
	mean := sum / runs
	t.Logf("failover after a leader crash over %d seeds: mean %.2fs, min %.2fs, max %.2fs", runs, mean, lo, hi)
	if mean < 15 || mean > 17.4 {
		t.Fatalf("mean failover %.2fs, want within LeaseDuration + [0, 2.4s] = [15s, 17.4s]", mean)
	}
}

// TestExpiryOnLocalClock checks client-go's clock contract (header of
// leaderelection.go): tolerant to clock offsets, not to clock rates.
//
//   - A candidate whose wall clock jumps a minute ahead changes nothing,
//     since expiry is observedTime + LeaseDuration on its monotonic clock;
//     judged from the record's RenewTime against its wall clock instead,
//     the same jump makes it take over a healthy leader.
//   - With the leader cut off, candidates with perfect clocks wait out the
//     lease, so the old leader has stopped (RetryPeriod + RenewDeadline
//     after its last renewal) before anyone takes over; candidates whose
//     clocks run twice as fast expire the lease too early: two leaders.
func TestExpiryOnLocalClock(t *testing.T) {
	dual := func(seed uint64, record bool, setup func(w *topology.World)) sim.Time {
		cfg := strategies.DefaultLeaseConfig()
		cfg.ExpiryFromRecord = record
		w := electionWorld(t, seed, cfg, false)
		log := &leaderLog{w: w}
		state.Of(w).Observe(log)
		setup(w)
		w.Start(3 * sim.Minute)
		w.Eng.Run(3 * sim.Minute)
		log.Leaders(w.Eng.Now(), log.n)
		return log.dual
	}
	jump := func(w *topology.World) {
		at(w, 60*sim.Second, func() {
			for _, m := range state.Of(w).Members() {
				if !m.Leading() {
					state.Of(w).JumpClock(m, sim.Minute)
				}
			}
		})
	}
	cutLeader := func(rate float64) func(w *topology.World) {
		return func(w *topology.World) {
			at(w, 60*sim.Second, func() {
				for _, m := range state.Of(w).Members() {
					if m.Leading() {
						state.Of(w).Cut(m)
					} else {
						state.Of(w).DriftClock(m, rate)
					}
				}
			})
		}
	}
	splits := map[string]int{}
	for seed := uint64(1); seed <= 20; seed++ {
		if d := dual(seed, false, jump); d > 0 {
			t.Fatalf("seed %d: a wall-clock jump gave %v with two leaders under client-go's monotonic expiry", seed, d)
		}
		if dual(seed, true, jump) > 0 {
			splits["jump/record"]++
		}
		if d := dual(seed, false, cutLeader(1)); d > 0 {
			t.Fatalf("seed %d: perfect clocks gave %v with two leaders after the leader was cut off", seed, d)
		}
		if dual(seed, false, cutLeader(2)) > 0 {
			splits["rate 2"]++
		}
	}
	if splits["jump/record"] < 18 || splits["rate 2"] < 18 {
		t.Fatalf("two leaders in %d/20 runs with record expiry and a jump, %d/20 with clocks at rate 2; want nearly all", splits["jump/record"], splits["rate 2"])
	}
}

// chaos is one fault of a random schedule on a control-plane member.
type chaos struct {
	kind   int // 0 pause, 1 cut from the store, 2 clock drift, 3 clock jump
	member int
	start  sim.Time
	length sim.Time
	rate   float64
	jump   sim.Time
}

func drawChaos(t *rapid.T) []chaos {
	n := rapid.IntRange(1, 6).Draw(t, "faults")
	out := make([]chaos, n)
	for i := range out {
		out[i] = chaos{
			kind:   rapid.IntRange(0, 3).Draw(t, "kind"),
			member: rapid.IntRange(0, 2).Draw(t, "member"),
			start:  sim.Time(rapid.IntRange(10, 150).Draw(t, "start")) * sim.Second,
			length: sim.Time(rapid.IntRange(1, 40).Draw(t, "length")) * sim.Second,
			rate:   rapid.Float64Range(0.3, 3).Draw(t, "rate"),
			jump:   sim.Time(rapid.IntRange(-60, 60).Draw(t, "jump")) * sim.Second,
		}
	}
	return out
}

// install schedules the faults on w's members through the world's seams.
func install(w *topology.World, sched []chaos) {
	members := state.Of(w).Members()
	for _, c := range sched {
		c := c
		m := members[c.member]
		at(w, c.start, func() {
			var undo func()
			switch c.kind {
			case 0:
				undo = w.Pause(m.Replica)
			case 1:
				undo = state.Of(w).Cut(m)
			case 2:
				undo = state.Of(w).DriftClock(m, c.rate)
			case 3:
				undo = state.Of(w).JumpClock(m, c.jump)
			}
			at(w, w.Eng.Now()+c.length, undo)
		})
	}
}

// TestFencingRejectsEveryDeposedWrite is the Kleppmann property: with
// fencing tokens enforced by the store, no write from a deposed leader is
// ever accepted, whatever pauses, partitions, clock drifts and jumps hit
// the members (expiry judged either way). Without fencing the same
// schedules do let stale writes in — so the property is not vacuous.
func TestFencingRejectsEveryDeposedWrite(t *testing.T) {
	unfenced, deposed := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		sched := drawChaos(t)
		cfg := strategies.DefaultLeaseConfig()
		cfg.ExpiryFromRecord = rapid.Bool().Draw(t, "record")
		seed := rapid.Uint64().Draw(t, "seed")
		for _, fencing := range []bool{true, false} {
			w := electionWorld(t, seed, cfg, fencing)
			install(w, sched)
			w.Start(3 * sim.Minute)
			w.Eng.Run(3 * sim.Minute)
			st := state.Of(w).Stats
			if fencing {
				if st.StaleAccepted != 0 {
					t.Fatalf("fencing accepted %d writes from a deposed leader (rejected %d)", st.StaleAccepted, st.StaleRejected)
				}
				deposed += int(st.StaleRejected)
			} else {
				if st.StaleRejected != 0 {
					t.Fatalf("without fencing %d writes were rejected", st.StaleRejected)
				}
				unfenced += int(st.StaleAccepted)
			}
			if st.Writes == 0 || st.LeaderChanges == 0 {
				t.Fatalf("no leader wrote anything (writes %d, leader changes %d)", st.Writes, st.LeaderChanges)
			}
		}
	})
	if unfenced == 0 || deposed == 0 {
		t.Fatalf("the schedules never produced a deposed leader's write (accepted without fencing %d, rejected with %d)", unfenced, deposed)
	}
	t.Logf("over the schedules: %d stale writes accepted without fencing, %d rejected with it", unfenced, deposed)
}

// TestRestartedLeaderIsANewCandidate: a leader that crashes and restarts
// three seconds later comes back with a new identity (client-go users such
// as kube-controller-manager use hostname_uuid), so nobody leads until the
// old lease has expired on some candidate's clock: about LeaseDuration
// without a leader.
func TestRestartedLeaderIsANewCandidate(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		w := electionWorld(t, seed, strategies.DefaultLeaseConfig(), false)
		log := &leaderLog{w: w}
		state.Of(w).Observe(log)
		at(w, 60*sim.Second, func() {
			restart := w.Crash(leader(w).Replica)
			at(w, 63*sim.Second, restart)
		})
		w.Start(2 * sim.Minute)
		w.Eng.Run(2 * sim.Minute)
		back := sim.Time(-1)
		for i, c := range log.changes {
			if c > 60*sim.Second && log.counts[i] == 1 {
				back = c
				break
			}
		}
		if gap := back - 60*sim.Second; back < 0 || gap < 13*sim.Second {
			t.Fatalf("seed %d: a leader again %v after the crash, want about the lease duration", seed, gap)
		}
	}
}
