package state

import (
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// convLog records state-model events for tests.
type convLog struct {
	converged []sim.Time // when a change reached every holder
	changeAt  []sim.Time // when that change was made
}

func (c *convLog) Divergence(sim.Time, int, int)    {}
func (c *convLog) ObservedDivergence(sim.Time, int) {}
func (c *convLog) Leaders(sim.Time, int)            {}
func (c *convLog) Converged(now sim.Time, _ *Key, at sim.Time) {
	c.converged = append(c.converged, now)
	c.changeAt = append(c.changeAt, at)
}

// stateWorld is 4 api replicas (2 per zone) with one key on channel ch,
// the store in zone a and an implicit controller, and the given changes.
// Latency is 1 ms within a zone and 2 ms between zones.
func stateWorld(t *testing.T, ch ChannelSpec, changes ...ChangeSpec) (*topology.World, *Key, *convLog) {
	t.Helper()
	spec := worldSpec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}, {Region: "r", Zone: "b"}},
		Network:  topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}, SameRegion: sim.Constant{V: 0.002}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 4, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.01}, Places: []topology.PlaceID{0, 1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: 10}}, Callers: 1}},
		State: &Spec{
			Keys:    []KeySpec{{Name: "cfg", Kind: Config, Service: 0, Channel: ch}},
			Changes: changes,
			Control: ControlPlaneSpec{Store: 0, Service: -1},
		},
	}
	w, _ := build(t, spec)
	if err := Of(w).Configure(Control{}); err != nil {
		t.Fatal(err)
	}
	k, _ := Of(w).Key("cfg")
	log := &convLog{}
	Of(w).Observe(log)
	return w, k, log
}

func run(w *topology.World, until sim.Time) {
	w.Start(until)
	w.Eng.Run(until)
}

func TestDesiredAt(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelNone), ChangeSpec{At: 10 * sim.Second, Key: 0}, ChangeSpec{At: 20 * sim.Second, Key: 0, Version: 7})
	run(w, 30*sim.Second)
	for _, c := range []struct {
		t    sim.Time
		want Version
	}{{0, 1}, {9 * sim.Second, 1}, {10 * sim.Second, 2}, {15 * sim.Second, 2}, {20 * sim.Second, 7}, {sim.Hour, 7}} {
		if got := k.DesiredAt(c.t); got != c.want {
			t.Errorf("desired at %v: %d, want %d", c.t, got, c.want)
		}
	}
}

// TestPushDebounce checks Istio's debounce: a burst is pushed 100 ms after
// its last change, and a change storm at most 10 s after its first.
func TestPushDebounce(t *testing.T) {
	ch := DefaultChannel(ChannelPush)
	var changes []ChangeSpec
	for _, ms := range []int64{10000, 10050, 10120} {
		changes = append(changes, ChangeSpec{At: sim.Time(ms) * sim.Millisecond, Key: 0})
	}
	changes = append(changes, ChangeSpec{At: 20 * sim.Second, Key: 0, Every: 50 * sim.Millisecond}) // a storm
	w, k, log := stateWorld(t, ch, changes...)
	run(w, 35*sim.Second)
	// The burst: pushed at 10.22 s, reaching zone a after 1 ms and zone b after 2 ms.
	if i := slices.Index(log.changeAt, 10000*sim.Millisecond); i < 0 || log.converged[i] != 10222*sim.Millisecond {
		t.Fatalf("burst converged at %v (changes %v), want 10.222s", log.converged, log.changeAt)
	}
	// The storm: the first push leaves at 30 s (10 s after the storm began)
	// carrying the version desired then.
	first := sim.Never
	for i, at := range log.changeAt {
		if at >= 20*sim.Second {
			first = min(first, log.converged[i])
		}
	}
	if first != 30*sim.Second+2*sim.Millisecond {
		t.Fatalf("first convergence during the storm at %v, want 30.002s (DebounceMax)", first)
	}
	if k.Desired() < 200 {
		t.Fatalf("storm made only %d versions", k.Desired())
	}
}

// TestNACKKeepsLastGood: holders reject an invalid version and keep the
// last good one; the next valid version is applied.
func TestNACKKeepsLastGood(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelPush),
		ChangeSpec{At: 10 * sim.Second, Key: 0}, ChangeSpec{At: 20 * sim.Second, Key: 0, Invalid: true})
	var at25 []Version
	topologytest.At(w, 25*sim.Second, func() {
		for _, h := range k.Holders() {
			at25 = append(at25, h.Value(k).Version)
		}
	})
	run(w, 40*sim.Second)
	if !slices.Equal(at25, []Version{2, 2, 2, 2}) || Of(w).Stats.NACKs != 4 {
		t.Fatalf("after the invalid v3: holders %v, NACKs %d; want all at v2 and 4 NACKs", at25, Of(w).Stats.NACKs)
	}
	if k.Behind() != 4 {
		t.Fatalf("behind %d, want 4 (every holder is off the desired, rejected version)", k.Behind())
	}
}

// TestPushKeepsLastKnownGoodAndResyncs: a holder cut from the control
// plane keeps its last value, retries with Envoy's backoff (full jitter,
// 500 ms doubling to 30 s) and resyncs when it reconnects.
func TestPushKeepsLastKnownGoodAndResyncs(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelPush), ChangeSpec{At: 10 * sim.Second, Key: 0})
	n := k.Holders()[0]
	var heal func()
	var during Version
	attempts := 0
	topologytest.At(w, 5*sim.Second, func() { heal = Of(w).Cut(n) })
	topologytest.At(w, 60*sim.Second, func() { during, attempts = n.Value(k).Version, n.links[k.ID].attempts; heal() })
	run(w, 120*sim.Second)
	if during != 1 {
		t.Fatalf("while cut the holder held v%d, want its last known good v1", during)
	}
	// 55 s cut: at most ~9 attempts (sum of 0.5..30 s maxima exceeds 55 s after 7).
	if attempts < 3 || attempts > 40 {
		t.Fatalf("%d reconnect attempts while cut for 55 s", attempts)
	}
	if v := n.Value(k).Version; v != 2 || !n.links[k.ID].connected {
		t.Fatalf("after healing: v%d connected=%v, want v2 over a new connection", v, n.links[k.ID].connected)
	}
}

// TestBackoffSequences checks the two documented reconnect backoffs at
// their extremes: LaunchDarkly 1, 2, 4, 8, 16, 30 s, each cut by up to 50%;
// Envoy 0.5, 1, 2 … 30 s with full jitter.
func TestBackoffSequences(t *testing.T) {
	ld, envoy := DefaultChannel(ChannelStream).Backoff, DefaultChannel(ChannelPush).Backoff
	for k, want := range []float64{1, 2, 4, 8, 16, 30, 30} {
		if got := ld.Delay(k+1, 0); got != sim.Seconds(want) {
			t.Errorf("LaunchDarkly attempt %d: %v, want %gs", k+1, got, want)
		}
		if got := ld.Delay(k+1, 0.999999); got < sim.Seconds(want/2) || got > sim.Seconds(want/2)+sim.Millisecond {
			t.Errorf("LaunchDarkly attempt %d at full jitter: %v, want %gs", k+1, got, want/2)
		}
	}
	for k, want := range []float64{0.5, 1, 2, 4, 8, 16, 30, 30} {
		if got := envoy.Delay(k+1, 0); got != sim.Seconds(want) {
			t.Errorf("Envoy attempt %d: %v, want %gs", k+1, got, want)
		}
		if got := envoy.Delay(k+1, 0.999999); got > sim.Millisecond {
			t.Errorf("Envoy attempt %d at full jitter: %v, want about 0", k+1, got)
		}
	}
	if ld.Reset != 60*sim.Second || envoy.Reset != 0 {
		t.Errorf("resets %v and %v, want LaunchDarkly 60s and Envoy on connect", ld.Reset, envoy.Reset)
	}
}

// TestStreamBackoffResetsAfterLongConnection: a stream that was up for
// 60 s starts its backoff over; one that dropped sooner keeps counting.
func TestStreamBackoffResetsAfterLongConnection(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelStream))
	n := k.Holders()[0]
	l := n.links[k.ID]
	var afterLong, afterShort int
	var restore func()
	topologytest.At(w, 100*sim.Second, func() { restore = Of(w).FailSync(n, k) }) // up since 0: > 60 s
	topologytest.At(w, 100*sim.Second+1, func() { afterLong = l.attempts })
	topologytest.At(w, 200*sim.Second, func() { restore() })
	topologytest.At(w, 230*sim.Second, func() { restore = Of(w).FailSync(n, k) }) // up ≤ 30 s
	topologytest.At(w, 230*sim.Second+1, func() { afterShort = l.attempts })
	topologytest.At(w, 300*sim.Second, func() { restore() })
	run(w, 400*sim.Second)
	if afterLong != 1 {
		t.Fatalf("after a 100 s connection the first retry is attempt %d, want 1", afterLong)
	}
	if afterShort <= 2 {
		t.Fatalf("after a short connection the retry is attempt %d, want the count to carry on", afterShort)
	}
	if !l.connected || n.Value(k).Version != 1 {
		t.Fatal("the stream did not reconnect")
	}
}

// TestPollSpreadsAndBounds: with 30 s polls a change reaches every holder
// within one interval, at different times (phases spread).
func TestPollSpreadsAndBounds(t *testing.T) {
	w, k, log := stateWorld(t, DefaultChannel(ChannelPoll), ChangeSpec{At: 100 * sim.Second, Key: 0})
	var got []sim.Time
	var prev []Version
	probe := w.Eng.Handle("probe", func(uint64) {
		for i, h := range k.Holders() {
			if v := h.Value(k).Version; v != prev[i] {
				got = append(got, w.Eng.Now())
				prev[i] = v
			}
		}
	})
	prev = make([]Version, 4)
	for i := range prev {
		prev[i] = 1
	}
	for ts := 100 * sim.Second; ts < 140*sim.Second; ts += 100 * sim.Millisecond {
		w.Eng.At(ts, topology.ClassObserve, probe, 0)
	}
	run(w, 140*sim.Second)
	if len(got) != 4 || len(log.converged) != 1 || log.converged[0] > 130*sim.Second+5*sim.Millisecond {
		t.Fatalf("updates at %v, converged %v; want all 4 within 30 s of the change", got, log.converged)
	}
	if got[0] == got[3] {
		t.Fatal("all holders polled at the same instant")
	}
}

// TestServedStamp: a response reports the software version that served
// it and which keys were stale at the request's arrival.
func TestServedStamp(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelPush), ChangeSpec{At: 10 * sim.Second, Key: 0})
	rec := &record{s: Of(w)}
	w.Observe(rec)
	n := k.Holders()[0]
	topologytest.At(w, 5*sim.Second, func() { Of(w).LoseUpdates(n, k) }) // n never gets v2
	run(w, 20*sim.Second)
	w.Drain(sim.Minute)
	stale, fresh := 0, 0
	for _, r := range rec.ended {
		if r.Served.Software != 1 {
			t.Fatalf("served by software v%d, want v1", r.Served.Software)
		}
		if r.Arrived < 11*sim.Second {
			continue
		}
		if r.Replica == n.Replica.ID {
			if r.Served.Stale != 1<<k.slot {
				t.Fatalf("a response from the stale replica has Stale %b, want bit %d", r.Served.Stale, k.slot)
			}
			stale++
		} else if r.Served.Consistent() {
			fresh++
		}
	}
	if stale == 0 || fresh == 0 {
		t.Fatalf("stale %d fresh %d responses", stale, fresh)
	}
}

// TestLateAndWebhook: a config-skew delay holds deliveries back; a
// webhook mutates the value after every apply.
func TestLateAndWebhook(t *testing.T) {
	w, k, _ := stateWorld(t, DefaultChannel(ChannelPush), ChangeSpec{At: 10 * sim.Second, Key: 0})
	late, hooked := k.Holders()[0], k.Holders()[1]
	topologytest.At(w, 5*sim.Second, func() {
		Of(w).DelayUpdates(late, k, 20*sim.Second)
		Of(w).Webhook(hooked, k, sim.Second, 0)
	})
	var lateAt15, lateAt31, hookAt10, hookAt12 Value
	topologytest.At(w, 15*sim.Second, func() { lateAt15 = late.Value(k) })
	topologytest.At(w, 31*sim.Second, func() { lateAt31 = late.Value(k) })
	topologytest.At(w, 10*sim.Second+500*sim.Millisecond, func() { hookAt10 = hooked.Value(k) })
	topologytest.At(w, 12*sim.Second, func() { hookAt12 = hooked.Value(k) })
	run(w, 40*sim.Second)
	if lateAt15.Version != 1 || lateAt31.Version != 2 {
		t.Fatalf("late holder: v%d at 15s, v%d at 31s; want v1 then v2 after 20s", lateAt15.Version, lateAt31.Version)
	}
	if hookAt10 != (Value{Version: 2}) || !hookAt12.Foreign {
		t.Fatalf("webhook holder: %+v after the push, %+v a second later; want v2 then mutated", hookAt10, hookAt12)
	}
}
