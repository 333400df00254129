package strategies_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// rolloutWorld is n replicas of api deployed at v2 at 10 s by a Deployment.
func rolloutWorld(t *testing.T, n int, cfg strategies.DeploymentConfig, v2 state.VersionSpec) *topology.World {
	t.Helper()
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: n, Concurrency: 4, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.01}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 50}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: func(r *rand.Rand) topology.Picker { return strategies.NewRoundRobin(r) }}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.New(w, state.Spec{
		Versions: []state.VersionSpec{v2, {Service: 0, Version: 1, ReadyAfter: 10 * sim.Second}},
		Changes:  []state.ChangeSpec{{At: 10 * sim.Second, Key: -1, Service: 0, Version: 2}},
		Control:  state.ControlPlaneSpec{Store: 0, Service: -1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := state.Of(w).Configure(state.Control{Rollout: func(*rand.Rand) state.Rollout { return strategies.NewDeployment(cfg) }}); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDeploymentBounds: with 10 replicas and the defaults a rolling update
// keeps at most 13 pods and at least 8 available (apps/v1 docs), and
// completes with every replica on v2.
func TestDeploymentBounds(t *testing.T) {
	w := rolloutWorld(t, 10, strategies.DefaultDeploymentConfig(), state.VersionSpec{Service: 0, Version: 2, ReadyAfter: 10 * sim.Second})
	v := state.Of(w).RolloutOf(w.Services[0])
	maxPods, minAvail := 0, 10
	probe := w.Eng.Handle("probe", func(uint64) {
		pods, avail := 0, 0
		for i := 0; i < v.Replicas(); i++ {
			switch v.Phase(i) {
			case state.SlotStable:
				pods, avail = pods+1, avail+1
			case state.SlotSurging:
				pods, avail = pods+2, avail+1
			case state.SlotReplacing:
				pods++
			}
		}
		maxPods, minAvail = max(maxPods, pods), min(minAvail, avail)
	})
	for ts := sim.Time(0); ts < 3*sim.Minute; ts += 100 * sim.Millisecond {
		w.Eng.At(ts, topology.ClassObserve, probe, 0)
	}
	w.Start(3 * sim.Minute)
	w.Eng.Run(3 * sim.Minute)
	if maxPods != 13 || minAvail != 8 {
		t.Fatalf("at most %d pods and at least %d available, want 13 and 8", maxPods, minAvail)
	}
	for i := 0; i < v.Replicas(); i++ {
		if v.Version(i) != 2 {
			t.Fatalf("slot %d runs v%d after the rollout", i, v.Version(i))
		}
	}
	if st := state.Of(w).Stats; st.Rollouts != 1 || st.RolloutsDone != 1 || st.RolloutsPartial != 0 {
		t.Fatalf("rollouts %d done %d partial %d, want 1/1/0", st.Rollouts, st.RolloutsDone, st.RolloutsPartial)
	}
}

// TestDeploymentStallsAndRollsBack: pods that never pass readiness stall
// the rollout; it is marked partial at the progress deadline and, with
// rollback on the deadline, reverted to v1.
func TestDeploymentStallsAndRollsBack(t *testing.T) {
	for _, rb := range []strategies.RollbackPolicy{strategies.RollbackNone, strategies.RollbackOnDeadline} {
		cfg := strategies.DefaultDeploymentConfig()
		cfg.Rollback = rb
		w := rolloutWorld(t, 4, cfg, state.VersionSpec{Service: 0, Version: 2, ReadyAfter: 10 * sim.Second})
		state.Of(w).FailPods(w.Replicas[1])
		state.Of(w).FailPods(w.Replicas[2])
		v := state.Of(w).RolloutOf(w.Services[0])
		var at9, at11 int // slots on v2 just before and after the deadline
		count := func(dst *int) func(uint64) {
			return func(uint64) {
				for i := 0; i < v.Replicas(); i++ {
					if v.Version(i) == 2 && v.Phase(i) == state.SlotStable {
						*dst++
					}
				}
			}
		}
		w.Eng.At(9*sim.Minute, topology.ClassObserve, w.Eng.Handle("a", count(&at9)), 0)
		w.Eng.At(30*sim.Minute, topology.ClassObserve, w.Eng.Handle("b", count(&at11)), 0)
		w.Start(30 * sim.Minute)
		w.Eng.Run(30 * sim.Minute)
		st := state.Of(w).Stats
		if st.RolloutsPartial != 1 || st.RolloutsDone != 0 {
			t.Fatalf("rollback %v: partial %d done %d, want 1 and 0", rb, st.RolloutsPartial, st.RolloutsDone)
		}
		switch rb {
		case strategies.RollbackNone:
			if at9 != 2 || at11 != 2 || st.Rollbacks != 0 {
				t.Fatalf("no rollback: %d then %d replicas on v2, %d rollbacks; want 2, 2, 0 (stuck part-way)", at9, at11, st.Rollbacks)
			}
		case strategies.RollbackOnDeadline:
			if at9 != 2 || at11 != 0 || st.Rollbacks != 1 {
				t.Fatalf("rollback on deadline: %d then %d replicas on v2, %d rollbacks; want 2, 0, 1", at9, at11, st.Rollbacks)
			}
		}
	}
}
