package strategies

import (
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// fakeView is a ReconcileView whose items' sync status a test sets.
type fakeView struct {
	out []bool
	rev uint64
}

func (v *fakeView) Items() int           { return len(v.out) }
func (v *fakeView) OutOfSync(i int) bool { return v.out[i] }
func (v *fakeView) Revision() uint64     { return v.rev }

func syncs(acts []state.ReconcileAction) []int32 {
	var out []int32
	for _, a := range acts {
		if a.Kind == state.RecSync {
			out = append(out, a.Item)
		}
	}
	return out
}

func timer(acts []state.ReconcileAction, id int) (sim.Time, bool) {
	for _, a := range acts {
		if a.Kind == state.RecSetTimer && a.Timer == id {
			return a.After, true
		}
	}
	return 0, false
}

// TestWorkQueueDedupAndRequeueOnce: events for a queued item coalesce, and
// N events during a reconcile cause exactly one more (client-go queue.go).
func TestWorkQueueDedupAndRequeueOnce(t *testing.T) {
	q := NewWorkQueue(WorkQueueConfig{Workers: 1, Status: StatusNever}, sim.NewStream(1, "q"))
	v := &fakeView{out: make([]bool, 3)}
	var order []int32
	step := func(ev state.ReconcileEvent) { order = append(order, syncs(q.Step(0, v, ev, nil))...) }
	step(state.ReconcileEvent{Kind: state.RecStart})
	for i := 0; i < 3; i++ { // item 0 is processing: it becomes dirty once
		step(state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromLive})
	}
	step(state.ReconcileEvent{Kind: state.RecChanged, Item: 1, Source: state.FromLive}) // already queued
	for len(order) < 10 {
		before := len(order)
		step(state.ReconcileEvent{Kind: state.RecDone, Item: order[len(order)-1], OK: true})
		if len(order) == before {
			break
		}
	}
	if want := []int32{0, 1, 2, 0}; !slices.Equal(order, want) {
		t.Fatalf("reconciled %v, want %v", order, want)
	}
}

// TestWorkQueueRetriesWithBackoff: a failing reconcile is re-added after the
// limiter's delay (5, 10, 20 ms …); a success forgets the failures.
func TestWorkQueueRetriesWithBackoff(t *testing.T) {
	q := NewWorkQueue(WorkQueueConfig{Workers: 1}, sim.NewStream(1, "q"))
	v := &fakeView{out: make([]bool, 1)}
	now := sim.Time(0)
	q.Step(now, v, state.ReconcileEvent{Kind: state.RecStart}, nil)
	for k, want := range []sim.Time{5, 10, 20, 40} {
		acts := q.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: 0, OK: false}, nil)
		d, ok := timer(acts, timerWait)
		if !ok || d != want*sim.Millisecond || len(syncs(acts)) != 0 {
			t.Fatalf("failure %d: timer %v %v, syncs %v; want a %vms wait and nothing at once", k+1, d, ok, syncs(acts), want)
		}
		now += d
		if s := syncs(q.Step(now, v, state.ReconcileEvent{Kind: state.RecTimer, Timer: timerWait}, nil)); !slices.Equal(s, []int32{0}) {
			t.Fatalf("failure %d: after the wait synced %v", k+1, s)
		}
	}
	q.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: 0, OK: true}, nil)
	q.Step(now, v, state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromLive}, nil)
	acts := q.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: 0, OK: false}, nil)
	if d, _ := timer(acts, timerWait); d != 5*sim.Millisecond {
		t.Fatalf("after a success the next failure waits %v, want 5ms (Forget)", d)
	}
}

// TestGenerationChangedPredicate: status-only events re-queue the item
// unless the predicate filters them — the hot loop and its fix.
func TestGenerationChangedPredicate(t *testing.T) {
	for _, pred := range []bool{false, true} {
		q := NewWorkQueue(WorkQueueConfig{Workers: 1, GenerationChanged: pred, Status: StatusAlways}, sim.NewStream(1, "q"))
		v := &fakeView{out: make([]bool, 1)}
		acts := q.Step(0, v, state.ReconcileEvent{Kind: state.RecStart}, nil)
		if len(acts) == 0 || !acts[0].Status {
			t.Fatal("status: always did not ask for a status write")
		}
		q.Step(0, v, state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromStatus}, nil)
		again := syncs(q.Step(0, v, state.ReconcileEvent{Kind: state.RecDone, Item: 0, OK: true}, nil))
		if pred != (len(again) == 0) {
			t.Errorf("predicate %v: after its own status write the controller reconciled again: %v", pred, again)
		}
	}
}

// TestArgoSelfHealTimeline drives Argo CD against drift that comes back
// after every sync (each sync takes 1 s): with the 2.14 backoff the syncs
// start 0, 2, 6, 18, 54, 162, 300, 300 s after the previous one finished;
// with the old fixed timeout, 5 s.
func TestArgoSelfHealTimeline(t *testing.T) {
	run := func(cfg ArgoConfig) []sim.Time {
		a := NewArgo(cfg, sim.NewStream(1, "argo"))
		v := &fakeView{out: []bool{false, false}}
		a.Step(0, v, state.ReconcileEvent{Kind: state.RecStart}, nil)
		v.out[1] = true // the second writer changes a live object
		var starts []sim.Time
		now := 100 * sim.Second
		acts := a.Step(now, v, state.ReconcileEvent{Kind: state.RecChanged, Item: 1, Source: state.FromLive, OutOfSync: true}, nil)
		for len(starts) < 8 {
			if s := syncs(acts); len(s) > 0 {
				if s[0] != -1 {
					t.Fatalf("Argo synced item %d, want the whole app (-1)", s[0])
				}
				starts = append(starts, now)
				now += sim.Second
				acts = a.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil)
				continue
			}
			d, ok := timer(acts, timerArgoRefresh)
			if !ok {
				t.Fatalf("no sync and no refresh timer after %v", starts)
			}
			now += d
			acts = a.Step(now, v, state.ReconcileEvent{Kind: state.RecTimer, Timer: timerArgoRefresh}, nil)
		}
		return starts
	}
	got := run(DefaultArgoConfig())
	want := []float64{100, 103, 110, 129, 184, 347, 648, 949} // finished + 0, 2, 6, 18, 54, 162, 300, 300
	for i := range want {
		if got[i] != sim.Seconds(want[i]) {
			t.Fatalf("backoff: sync starts %v, want %v s", got, want)
		}
	}
	cfg := DefaultArgoConfig()
	cfg.Backoff = false
	got = run(cfg)
	for i := 1; i < len(got); i++ {
		if got[i]-got[i-1] != 6*sim.Second { // 1 s sync + 5 s timeout
			t.Fatalf("fixed timeout: sync starts %v, want every 6 s", got)
		}
	}
}

// TestArgoSelfHealCooldown: Argo CD v3.3+ carries the self-heal count
// over from the last operation whatever the time since (controller/
// appcontroller.go autoSync copies SelfHealAttemptsCount; PR #25579 removed
// the cooldown); v3.1–v3.2 (cooldown_reset) started it over once the app
// had stayed synced for the cooldown (selfHealBackoffCooldownElapsed).
func TestArgoSelfHealCooldown(t *testing.T) {
	for _, c := range []struct {
		name  string
		reset bool
		want  int
	}{{"current: the count carries over", false, 6}, {"v3.1–v3.2 cooldown_reset: it starts over", true, 1}} {
		cfg := DefaultArgoConfig()
		cfg.CooldownReset = c.reset
		a := NewArgo(cfg, sim.NewStream(1, "argo"))
		v := &fakeView{out: []bool{true}}
		a.Step(0, v, state.ReconcileEvent{Kind: state.RecStart}, nil) // attempt 1 at once
		a.Step(sim.Second, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil)
		a.attempts = 5 // as if it had fought for a while
		// Synced for 400 s (> 330 s cooldown and > the 162 s fifth backoff),
		// then drift: self-heal is immediate either way.
		acts := a.Step(401*sim.Second, v, state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromLive, OutOfSync: true}, nil)
		if len(syncs(acts)) != 1 || a.attempts != c.want {
			t.Errorf("%s: syncs %v attempts %d, want an immediate sync and attempts %d", c.name, syncs(acts), a.attempts, c.want)
		}
	}
}

// TestArgoResyncPeriod: refreshes come every 120 s plus up to 60 s.
func TestArgoResyncPeriod(t *testing.T) {
	a := NewArgo(DefaultArgoConfig(), sim.NewStream(1, "argo"))
	v := &fakeView{out: []bool{false}}
	lo, hi := sim.Never, sim.Time(0)
	acts := a.Step(0, v, state.ReconcileEvent{Kind: state.RecStart}, nil)
	for i := 0; i < 2000; i++ {
		d, ok := timer(acts, timerArgoResync)
		if !ok {
			t.Fatal("no resync timer")
		}
		lo, hi = min(lo, d), max(hi, d)
		acts = a.Step(0, v, state.ReconcileEvent{Kind: state.RecTimer, Timer: timerArgoResync}, nil)
	}
	if lo < 120*sim.Second || hi > 180*sim.Second || lo > 122*sim.Second || hi < 178*sim.Second {
		t.Fatalf("resync periods in [%v, %v], want spread over [120s, 180s]", lo, hi)
	}
}

// TestFluxInterval: after a successful reconcile the next comes interval ±
// 5% later; a new revision is applied after the source's next fetch.
func TestFluxInterval(t *testing.T) {
	f := NewFlux(FluxConfig{Source: sim.Minute, Interval: 10 * sim.Minute, Jitter: 0.05}, sim.NewStream(1, "flux"))
	v := &fakeView{out: []bool{false}}
	if s := syncs(f.Step(0, v, state.ReconcileEvent{Kind: state.RecStart}, nil)); len(s) != 1 {
		t.Fatal("no reconcile at start")
	}
	lo, hi := sim.Never, sim.Time(0)
	for i := 0; i < 1000; i++ {
		d, _ := timer(f.Step(0, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil), timerFluxInterval)
		lo, hi = min(lo, d), max(hi, d)
		f.Step(0, v, state.ReconcileEvent{Kind: state.RecTimer, Timer: timerFluxInterval}, nil)
	}
	if lo < 570*sim.Second || hi > 630*sim.Second || hi-lo < 50*sim.Second {
		t.Fatalf("intervals in [%v, %v], want spread over 10m ± 5%%", lo, hi)
	}
	f.Step(0, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil)
	acts := f.Step(0, v, state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromDesired}, nil)
	if d, ok := timer(acts, timerFluxSource); !ok || d >= sim.Minute || len(syncs(acts)) != 0 {
		t.Fatalf("new revision: wait %v %v syncs %v; want a wait for the next fetch within 1m", d, ok, syncs(acts))
	}
	if s := syncs(f.Step(0, v, state.ReconcileEvent{Kind: state.RecTimer, Timer: timerFluxSource}, nil)); len(s) != 1 {
		t.Fatal("the fetched revision was not applied")
	}
}

// TestDebouncedQuietPeriodAndBackoff: drift events within the quiet
// period coalesce into one sync, a burst waits at most DebounceMax, and
// repairs that do not stick double the quiet period up to BackoffMax,
// which a quiet Settle resets.
func TestDebouncedQuietPeriodAndBackoff(t *testing.T) {
	d := &Debounced{Debounce: 100 * sim.Millisecond, DebounceMax: sim.Second, BackoffMax: 800 * sim.Millisecond, Settle: 30 * sim.Second}
	v := &fakeView{out: []bool{true}}
	drift := state.ReconcileEvent{Kind: state.RecChanged, Item: 0, Source: state.FromLive, OutOfSync: true}
	// A burst of events every 50 ms for 3 s: the timer keeps moving, but
	// never past 1 s after the first event.
	var fire sim.Time
	for now := sim.Time(0); now < 3*sim.Second; now += 50 * sim.Millisecond {
		if at, ok := timer(d.Step(now, v, drift, nil), 0); ok {
			fire = now + at
		}
		if now >= fire && fire > 0 {
			break
		}
	}
	if fire != sim.Second {
		t.Fatalf("burst synced at %v, want 1s (DebounceMax)", fire)
	}
	if s := syncs(d.Step(fire, v, state.ReconcileEvent{Kind: state.RecTimer}, nil)); !slices.Equal(s, []int32{-1}) {
		t.Fatalf("timer fired without syncing every drifted item: %v", s)
	}
	// The repair does not stick: each time drift returns at once the quiet
	// period doubles: 200, 400, 800, 800 ms.
	now := fire
	for _, want := range []sim.Time{200, 400, 800, 800} {
		now += 10 * sim.Millisecond
		d.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil)
		at, _ := timer(d.Step(now, v, drift, nil), 0)
		if at != want*sim.Millisecond {
			t.Fatalf("quiet period %v, want %vms", at, want)
		}
		now += at
		d.Step(now, v, state.ReconcileEvent{Kind: state.RecTimer}, nil)
	}
	// A repair that held for the settle period resets it.
	d.Step(now, v, state.ReconcileEvent{Kind: state.RecDone, Item: -1, OK: true}, nil)
	now += time1h
	if at, _ := timer(d.Step(now, v, drift, nil), 0); at != 100*sim.Millisecond {
		t.Fatalf("after a quiet hour the quiet period is %v, want 100ms", at)
	}
}
