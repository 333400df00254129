package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// fakeRollout is a RolloutView the test drives: it applies surges
// (immediately ready, or ready-and-held), switches and rollbacks, and
// counts traffic per version as the test serves it.
type fakeRollout struct {
	desired, previous state.Version
	versions          []state.Version
	phases            []state.SlotPhase
	targets           []state.Version
	standby           []state.Version
	started           sim.Time
	back              bool
	served, errs      map[state.Version]uint64
	lat               map[state.Version][]uint64
	weights           []float64 // RollWeight actions, in order
	timer             sim.Time
}

func newFakeRollout(n int) *fakeRollout {
	f := &fakeRollout{desired: 2, previous: 1, served: map[state.Version]uint64{}, errs: map[state.Version]uint64{}, lat: map[state.Version][]uint64{}}
	for i := 0; i < n; i++ {
		f.versions = append(f.versions, 1)
		f.phases = append(f.phases, state.SlotStable)
		f.targets = append(f.targets, 0)
		f.standby = append(f.standby, 0)
	}
	return f
}

func (f *fakeRollout) Replicas() int                      { return len(f.versions) }
func (f *fakeRollout) Desired() state.Version             { return f.desired }
func (f *fakeRollout) Previous() state.Version            { return f.previous }
func (f *fakeRollout) Version(i int) state.Version        { return f.versions[i] }
func (f *fakeRollout) Phase(i int) state.SlotPhase        { return f.phases[i] }
func (f *fakeRollout) Target(i int) state.Version         { return f.targets[i] }
func (f *fakeRollout) Started() sim.Time                  { return f.started }
func (f *fakeRollout) Progressed() sim.Time               { return f.started }
func (f *fakeRollout) RollingBack() bool                  { return f.back }
func (f *fakeRollout) Standby(i int) bool                 { return f.standby[i] != 0 }
func (f *fakeRollout) Latencies(v state.Version) []uint64 { return f.hist(v) }
func (f *fakeRollout) Served(v state.Version) (uint64, uint64) {
	return f.served[v], f.errs[v]
}

func (f *fakeRollout) hist(v state.Version) []uint64 {
	if f.lat[v] == nil {
		f.lat[v] = make([]uint64, state.LatencyBuckets)
	}
	return f.lat[v]
}

// serve records n requests answered by v, failing a fraction, each taking d.
func (f *fakeRollout) serve(v state.Version, n uint64, fail float64, d sim.Time) {
	f.served[v] += n
	f.errs[v] += uint64(fail * float64(n))
	k := 0
	for k < state.LatencyBuckets-1 && state.LatencyBound(k) < d {
		k++
	}
	f.hist(v)[k] += n
}

// apply performs the actions as the world would, instantly, and tells
// the rollout the new pods are ready (as the world does with RollReady).
func (f *fakeRollout) apply(now sim.Time, acts []state.RolloutAction) (rolledBack bool) {
	return f.applyTo(nil, now, acts)
}

func (f *fakeRollout) applyTo(r state.Rollout, now sim.Time, acts []state.RolloutAction) (rolledBack bool) {
	surged := false
	for _, a := range acts {
		if a.Kind == state.RollSurge || a.Kind == state.RollReplace {
			surged = true
		}
		switch a.Kind {
		case state.RollSurge, state.RollReplace:
			if a.Hold {
				f.phases[a.Slot], f.targets[a.Slot] = state.SlotReady, f.desired
			} else {
				f.versions[a.Slot] = f.desired
			}
		case state.RollSwitch:
			for i := range f.phases {
				if f.phases[i] == state.SlotReady {
					f.standby[i], f.versions[i], f.phases[i] = f.versions[i], f.targets[i], state.SlotStable
				}
			}
		case state.RollRevert:
			for i := range f.standby {
				if f.standby[i] != 0 {
					f.versions[i], f.standby[i] = f.standby[i], 0
				}
			}
		case state.RollWeight:
			f.weights = append(f.weights, a.Weight)
		case state.RollSetTimer:
			f.timer = now + a.After
		case state.RollBack:
			rolledBack = true
		}
	}
	if surged && r != nil && !rolledBack {
		return f.applyTo(r, now, r.Step(now, f, state.RolloutEvent{Kind: state.RollReady}, nil))
	}
	return rolledBack
}

// run drives r: every time its timer fires, the canary (desired version)
// first serves its share of 1000 requests at the given failure rate.
func run(r state.Rollout, f *fakeRollout, until sim.Time, fail float64) (rollback sim.Time) {
	now := sim.Time(0)
	f.applyTo(r, now, r.Step(now, f, state.RolloutEvent{Kind: state.RollChanged}, nil))
	for f.timer > now && f.timer <= until {
		now = f.timer
		if len(f.weights) > 0 {
			if w := f.weights[len(f.weights)-1]; w > 0 {
				f.serve(f.desired, uint64(1000*w), fail, 50*sim.Millisecond)
			}
		}
		if f.applyTo(r, now, r.Step(now, f, state.RolloutEvent{Kind: state.RollTimer}, nil)) {
			return now
		}
	}
	return -1
}

// Flagger's documented timeline: the first tick after the canary is ready
// sets stepWeight without a check; each passing check adds stepWeight; a
// passing check at maxWeight promotes — Interval·(MaxWeight/StepWeight +
// 1) after the canary is ready (6 min at 60 s, 10%, 50%) — and the split
// is removed once the primary runs the new version.
func TestFlaggerPromotes(t *testing.T) {
	cfg := DefaultFlaggerConfig()
	fl := NewFlagger(cfg)
	f := newFakeRollout(8)
	if rb := run(fl, f, 10*sim.Minute, 0); rb >= 0 {
		t.Fatalf("a healthy canary was rolled back at %v: %v", rb, fl.Log)
	}
	want := []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, -1} // -1: the split removed once the primary runs v2
	if len(f.weights) != len(want) {
		t.Fatalf("weights %v, want %v; log %v", f.weights, want, fl.Log)
	}
	for i := range want {
		if !close9(f.weights[i], want[i]) {
			t.Errorf("weights %v, want %v", f.weights, want)
		}
	}
	promoted := false
	for _, l := range fl.Log {
		if l == "6m0s promoting: copying the canary spec to the primary" {
			promoted = true
		}
	}
	if !promoted || fl.phase != phaseDone {
		t.Errorf("promotion should start at 6m: %v", fl.Log)
	}
	if canaries(8, cfg.Canary) != 2 {
		t.Errorf("25%% of 8 replicas is 2 canary pods")
	}
}

// A canary failing every check (success 90% < 99%) with threshold 2 fails
// the checks at 2m and 3m and is rolled back on the next tick, 4m:
// Interval·(Threshold + 2) after it was ready, with its weight set to 0.
func TestFlaggerRollsBack(t *testing.T) {
	cfg := DefaultFlaggerConfig()
	cfg.Threshold = 2
	fl := NewFlagger(cfg)
	f := newFakeRollout(8)
	rb := run(fl, f, 10*sim.Minute, 0.1)
	if rb != 4*sim.Minute || f.weights[len(f.weights)-1] != 0 || fl.failed != 2 {
		t.Errorf("rolled back at %v (want 4m), weights %v, failed %d; log %v", rb, f.weights, fl.failed, fl.Log)
	}
	// The latency gate alone: p99 of 800 ms against 500 ms also fails.
	fl = NewFlagger(cfg)
	f = newFakeRollout(8)
	now := sim.Time(0)
	f.applyTo(fl, now, fl.Step(now, f, state.RolloutEvent{Kind: state.RollChanged}, nil))
	for now = sim.Minute; now <= 5*sim.Minute; now += sim.Minute {
		f.serve(2, 100, 0, 800*sim.Millisecond)
		if f.applyTo(fl, now, fl.Step(now, f, state.RolloutEvent{Kind: state.RollTimer}, nil)) {
			break
		}
	}
	if fl.failed < 2 {
		t.Errorf("slow canary: %d failed checks; log %v", fl.failed, fl.Log)
	}
}

// Argo Rollouts' analysis: failureLimit 0 aborts on the first failed
// measurement; a canary with no data errors, errored measurements are
// retried after 10 s, and the fifth consecutive error (more than
// consecutiveErrorLimit 4) aborts (argoproj/argo-rollouts analysis/analysis.go).
func TestArgoCanaryLimits(t *testing.T) {
	cfg := DefaultArgoCanaryConfig()
	a := NewArgoCanary(cfg)
	f := newFakeRollout(10)
	rb := run(a, f, 20*sim.Minute, 0.05)
	if rb != sim.Minute || a.failed != 1 {
		t.Errorf("failureLimit 0: aborted at %v after %d failures; log %v", rb, a.failed, a.Log)
	}
	long := cfg
	long.Steps, _ = ParseArgoSteps("20%, pause 10m")
	a = NewArgoCanary(long)
	f = newFakeRollout(10)
	now := sim.Time(0)
	f.applyTo(a, now, a.Step(now, f, state.RolloutEvent{Kind: state.RollChanged}, nil))
	for f.timer > now {
		now = f.timer // the canary never serves: every measurement is an error
		if f.applyTo(a, now, a.Step(now, f, state.RolloutEvent{Kind: state.RollTimer}, nil)) {
			break
		}
	}
	// The first measurement errors at 1m; each errored measurement is
	// retried 10 s later (DefaultErrorRetryInterval), so the fifth error
	// comes at 1m40s, not 5m.
	if now != sim.Minute+40*sim.Second || a.errors != 5 {
		t.Errorf("consecutiveErrorLimit 4: aborted at %v after %d errors, want 1m40s; log %v", now, a.errors, a.Log)
	}
	// A healthy canary walks the steps (20% … 80%, a minute each) and is
	// promoted after the last pause.
	a = NewArgoCanary(cfg)
	f = newFakeRollout(10)
	if rb := run(a, f, 20*sim.Minute, 0); rb >= 0 || a.phase != phaseDone {
		t.Errorf("healthy canary: rollback %v, phase %v; log %v", rb, a.phase, a.Log)
	}
	if len(f.weights) != 6 || !close9(f.weights[4], 0.8) || f.weights[5] != -1 {
		t.Errorf("weights %v, want 0, 20%% … 80%%, then the split removed", f.weights)
	}
}

// Blue/green: green pods start held beside blue; when all are ready the
// active service switches at once, keeping blue on standby; a failing
// post-promotion analysis switches back instantly.
func TestBlueGreen(t *testing.T) {
	cfg := DefaultBlueGreenConfig()
	b := NewBlueGreen(cfg)
	f := newFakeRollout(4)
	now := sim.Time(0)
	acts := b.Step(now, f, state.RolloutEvent{Kind: state.RollChanged}, nil)
	held := 0
	for _, a := range acts {
		if a.Kind == state.RollSurge && a.Hold {
			held++
		}
	}
	if held != 4 {
		t.Fatalf("want 4 held surges, got %v", acts)
	}
	f.apply(now, acts)
	for i := range f.versions {
		if f.versions[i] != 1 {
			t.Fatalf("blue must keep serving until the switch")
		}
	}
	now = 10 * sim.Second
	f.apply(now, b.Step(now, f, state.RolloutEvent{Kind: state.RollReady}, nil))
	for i := range f.versions {
		if f.versions[i] != 2 || f.standby[i] != 1 {
			t.Fatalf("after the switch every slot serves green with blue on standby: %v %v", f.versions, f.standby)
		}
	}
	now += cfg.Interval
	f.serve(2, 100, 0.5, 10*sim.Millisecond)
	if !f.apply(now, b.Step(now, f, state.RolloutEvent{Kind: state.RollTimer}, nil)) {
		t.Fatalf("a failing post-promotion analysis should roll back: %v", b.Log)
	}
	for i := range f.versions {
		if f.versions[i] != 1 {
			t.Errorf("the switch back should be instant: %v", f.versions)
		}
	}
}
