package topology

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// record keeps every ended request (tests only: real collectors stream).
type record struct{ ended []Request }

func (r *record) RequestEnded(_ sim.Time, q *Request) { r.ended = append(r.ended, *q) }

// oneReplica is a single replica with constant 10 s service fed by
// constant arrivals once a second, starting at 1 s.
func oneReplica(queueCap int, timeout sim.Time) Spec {
	return Spec{
		Places:   []Place{{"r", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 1, Concurrency: 1, QueueCapacity: queueCap, ServiceTime: sim.Constant{V: 10}}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Arrival: Constant, Rate: RateProfile{{0, 1}}, Callers: 1, Timeout: timeout}},
	}
}

func build(t *testing.T, spec Spec) (*World, *record) {
	t.Helper()
	w, err := New(spec, Routing{Caller: roundRobin}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := &record{}
	w.Observe(rec)
	return w, rec
}

// at runs fn at time t on w's engine.
func at(w *World, t sim.Time, fn func()) {
	k := w.Eng.Handle("test", func(uint64) { fn() })
	w.Eng.At(t, ClassFault, k, 0)
}

func TestPauseResumesOwedWork(t *testing.T) {
	w, rec := build(t, oneReplica(Unbounded, 0))
	rep := w.Replicas[0]
	at(w, 3*sim.Second, func() { w.SetState(rep, Paused) })
	at(w, 8*sim.Second, func() { w.SetState(rep, Up) })
	w.Start(1500 * sim.Millisecond) // exactly one arrival, at 1 s
	w.Eng.Run(sim.Minute)
	if len(rec.ended) != 1 {
		t.Fatalf("%d requests ended, want 1", len(rec.ended))
	}
	r := rec.ended[0]
	// 1 s arrival + 2 s served + 5 s paused + 8 s still owed = 16 s.
	if r.Outcome != Success || r.Ended != 16*sim.Second {
		t.Fatalf("ended %v at %v, want success at 16s", r.Outcome, r.Ended)
	}
}

func TestCrashDropsQueuedAndInServiceWork(t *testing.T) {
	w, rec := build(t, oneReplica(Unbounded, 0))
	rep := w.Replicas[0]
	at(w, 5500*sim.Millisecond, func() { w.SetState(rep, Down) })
	at(w, 6500*sim.Millisecond, func() { w.SetState(rep, Up) })
	w.Start(7500 * sim.Millisecond) // arrivals at 1..7 s
	w.Eng.Run(7500 * sim.Millisecond)
	w.Drain(sim.Minute)
	var dropped, noHost, ok int
	for _, r := range rec.ended {
		switch {
		case r.Outcome == Dropped && r.Cause == CauseHostDown && r.Ended == 5500*sim.Millisecond:
			dropped++
		case r.Outcome == Dropped && r.Cause == CauseNoHost && r.Arrived == 6*sim.Second:
			noHost++
		case r.Outcome == Success:
			ok++
		}
	}
	// 1..5 s: lost in the crash; 6 s: no healthy host; 7 s: served after restart.
	if dropped != 5 || noHost != 1 || ok != 1 || len(rec.ended) != 7 {
		t.Fatalf("dropped(crash)=%d no-host=%d success=%d total=%d; want 5 1 1 7", dropped, noHost, ok, len(rec.ended))
	}
	if rep.InFlight() != 0 || w.InFlight() != 0 {
		t.Fatalf("work left behind: replica %d, world %d", rep.InFlight(), w.InFlight())
	}
}

func TestBoundedQueueRejects(t *testing.T) {
	w, rec := build(t, oneReplica(1, 0))
	w.Start(3500 * sim.Millisecond) // arrivals at 1, 2, 3 s
	w.Eng.Run(3500 * sim.Millisecond)
	w.Drain(sim.Minute)
	got := map[Outcome]int{}
	for _, r := range rec.ended {
		got[r.Outcome]++
	}
	if got[Success] != 2 || got[Rejected] != 1 {
		t.Fatalf("outcomes %v, want 2 successes (one served, one queued) and 1 rejection", got)
	}
}

func TestTimeoutEndsRequestButServerKeepsWorking(t *testing.T) {
	w, rec := build(t, oneReplica(Unbounded, 2*sim.Second))
	rep := w.Replicas[0]
	caller := w.Callers[0]
	w.Start(1500 * sim.Millisecond)
	w.Eng.Run(3500 * sim.Millisecond)
	if len(rec.ended) != 1 || rec.ended[0].Outcome != Timeout || rec.ended[0].Ended != 3*sim.Second {
		t.Fatalf("want one timeout at 3s, got %+v", rec.ended)
	}
	if caller.InFlight(0) != 0 || rep.InFlight() != 1 {
		t.Fatalf("after the timeout: caller counts %d outstanding (want 0), replica holds %d (want 1)", caller.InFlight(0), rep.InFlight())
	}
	w.Eng.Run(sim.Minute)
	if rep.Served != 1 || len(rec.ended) != 1 {
		t.Fatalf("replica served %d (want 1); requests ended %d times (want once)", rep.Served, len(rec.ended))
	}
}

func TestNetworkLatencyAddsToResponseTime(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	spec.Places = []Place{{"east", "a"}, {"west", "a"}}
	spec.Services[0].Places = []PlaceID{1}
	spec.Network = NetworkSpec{CrossRegion: sim.Constant{V: 0.04}}
	w, rec := build(t, spec)
	w.Start(1500 * sim.Millisecond)
	w.Eng.Run(sim.Minute)
	if got, want := rec.ended[0].Latency(), 10*sim.Second+80*sim.Millisecond; got != want {
		t.Fatalf("latency %v, want %v (service + two 40 ms crossings)", got, want)
	}
}

func TestSignalBusDeliversAgedMeasurements(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	spec.Bus = BusSpec{Interval: sim.Second, Delay: 500 * sim.Millisecond}
	w, _ := build(t, spec)
	w.Start(10 * sim.Second)
	var seen []Signal
	for _, t := range []sim.Time{2400, 2600, 3400} {
		at(w, t*sim.Millisecond, func() { seen = append(seen, w.Bus.Board(0, 0)) })
	}
	w.Eng.Run(4 * sim.Second)
	// Measurements run before requests at the same instant (ClassSignal <
	// ClassRequest), so the 1 s measurement misses the request arriving at
	// 1 s. At 2.4 s the board holds the 1 s measurement (delivered at 1.5 s):
	// 0 in flight. At 2.6 s and 3.4 s: the 2 s one, 1 in flight.
	want := []Signal{{Value: 0, Emitted: sim.Second}, {Value: 1, Emitted: 2 * sim.Second}, {Value: 1, Emitted: 2 * sim.Second}}
	for i := range want {
		if seen[i].Value != want[i].Value || seen[i].Emitted != want[i].Emitted || !seen[i].Valid {
			t.Fatalf("board sample %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
	// The 3 s report covers 2-3 s: the one slot was busy throughout
	// (utilisation 1) and nothing finished (the first request ends at 11 s).
	if r := w.Bus.Board(0, 0); r.Utilization != 1 || r.QPS != 0 {
		t.Fatalf("report at 4 s: %+v", r)
	}
}

func TestRateProfileSteps(t *testing.T) {
	p := RateProfile{{0, 10}, {60 * sim.Second, 10}, {60 * sim.Second, 50}, {120 * sim.Second, 50}, {180 * sim.Second, 0}}
	cases := []struct {
		t    sim.Time
		want float64
	}{{0, 10}, {59 * sim.Second, 10}, {60 * sim.Second, 50}, {120 * sim.Second, 50}, {150 * sim.Second, 25}, {200 * sim.Second, 0}}
	for _, c := range cases {
		if got := p.At(c.t); got != c.want {
			t.Errorf("rate at %v = %g, want %g", c.t, got, c.want)
		}
	}
}

// TestArrivalCountsFollowTheProfile checks both arrival kinds generate the
// integral of the rate profile: exactly for constant arrivals, within four
// standard deviations for Poisson (a Poisson count has variance = mean).
func TestArrivalCountsFollowTheProfile(t *testing.T) {
	// 100/s for 100 s, a spike to 400/s for 10 s, then a ramp down to 0
	// over 100 s: 10,000 + 4,000 + 5,000 expected arrivals.
	prof := RateProfile{{0, 100}, {100 * sim.Second, 100}, {100 * sim.Second, 400}, {110 * sim.Second, 400}, {110 * sim.Second, 100}, {210 * sim.Second, 0}}
	const want = 19000.0
	for _, kind := range []ArrivalKind{Constant, Poisson} {
		spec := oneReplica(Unbounded, 0)
		spec.Services[0].ServiceTime = sim.Constant{V: 0}
		spec.Clients[0].Arrival = kind
		spec.Clients[0].Rate = prof
		w, _ := build(t, spec)
		w.Start(300 * sim.Second)
		w.Eng.Run(300 * sim.Second)
		got := float64(w.Clients[0].Generated)
		tol := 4 * math.Sqrt(want)
		if kind == Constant {
			tol = 3 // one per segment boundary at most
		}
		if math.Abs(got-want) > tol {
			t.Errorf("%v arrivals: %g, want %g ± %g", kind, got, want, tol)
		}
	}
}

func TestEjectionAndHealthCountsCompose(t *testing.T) {
	spec := Spec{
		Places:   []Place{{"east", "a"}, {"east", "b"}, {"west", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 6, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 1}, Places: []PlaceID{0, 1, 2}, Weights: []float64{1, 3}}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Rate: RateProfile{{0, 1}}, Callers: 2, Place: 1}},
	}
	w, _ := build(t, spec)
	c0, c1 := w.Callers[0], w.Callers[1]
	all := &c0.all
	if all.HealthyCount() != 6 || c0.all.Priority(0) != 1 || c0.all.Priority(1) != 0 || c0.all.Priority(2) != 2 || all.Weight(1) != 3 {
		t.Fatalf("healthy %d, priorities %d %d %d, weight %g", all.HealthyCount(), all.Priority(0), all.Priority(1), all.Priority(2), all.Weight(1))
	}
	gen := all.Generation()
	r0 := w.Replicas[0]
	w.SetEjected(c0, r0, true)
	restart := w.Crash(r0) // ejected and down: counted once
	if c0.all.HealthyCount() != 5 || c1.all.HealthyCount() != 5 || all.Healthy(0) || all.Generation() == gen {
		t.Fatalf("after eject+crash: c0 %d, c1 %d healthy", c0.all.HealthyCount(), c1.all.HealthyCount())
	}
	restart()
	if c0.all.HealthyCount() != 5 || c1.all.HealthyCount() != 6 {
		t.Fatalf("after restart: c0 %d (still ejects it), c1 %d", c0.all.HealthyCount(), c1.all.HealthyCount())
	}
	w.SetEjected(c0, r0, false)
	if c0.all.HealthyCount() != 6 || c0.views[0].HealthyCount() != 4 || c0.views[1].HealthyCount() != 2 {
		t.Fatalf("after uneject: %d, clusters %d %d", c0.all.HealthyCount(), c0.views[0].HealthyCount(), c0.views[1].HealthyCount())
	}
}

func TestBusTampersStackAndRevert(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	spec.Services[0].Replicas = 2
	spec.Bus = BusSpec{Interval: sim.Second}
	w, _ := build(t, spec)
	r0, r1 := w.Replicas[0], w.Replicas[1]
	var revFreeze, revDelay func()
	at(w, 4500*sim.Millisecond, func() {
		revFreeze = w.Bus.Tamper(r0, Tamper{Freeze: true})
		revDelay = w.Bus.Tamper(r1, Tamper{Delay: 3 * sim.Second, Poison: func(s Signal) Signal { s.Value = 100; return s }})
	})
	at(w, 9500*sim.Millisecond, func() { revFreeze(); revDelay() })
	type sample struct {
		e0, e1 sim.Time
		v1     float64
	}
	var got []sample
	for _, s := range []sim.Time{4600, 8600, 9600, 12600} {
		at(w, s*sim.Millisecond, func() {
			got = append(got, sample{w.Bus.Board(0, 0).Emitted, w.Bus.Board(0, 1).Emitted, w.Bus.Board(0, 1).Value})
		})
	}
	w.Start(sim.Minute)
	w.Eng.Run(13 * sim.Second)
	want := []sample{
		{4 * sim.Second, 4 * sim.Second, got[0].v1}, // just before the faults' first measurement
		{4 * sim.Second, 5 * sim.Second, 100},       // r0 frozen at 4 s; r1's 5 s signal arrived at 8 s, poisoned
		{4 * sim.Second, 6 * sim.Second, 100},       // reverted at 9.5 s: nothing new measured yet
		{12 * sim.Second, 12 * sim.Second, got[3].v1},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sample %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[3].v1 == 100 || w.Bus.Frozen != 5 {
		t.Fatalf("poison outlived its fault (%g) or frozen count %d != 5", got[3].v1, w.Bus.Frozen)
	}
}

func TestTelemetryLossDropsAFraction(t *testing.T) {
	spec := oneReplica(Unbounded, 0)
	spec.Bus = BusSpec{Interval: 100 * sim.Millisecond}
	w, _ := build(t, spec)
	w.Bus.Tamper(w.Replicas[0], Tamper{Loss: 0.3})
	w.Start(sim.Hour)
	w.Eng.Run(1000 * sim.Second)
	frac := float64(w.Bus.Lost) / float64(w.Bus.Published)
	if math.Abs(frac-0.3) > 0.02 || w.Bus.Lost+w.Bus.Delivered != w.Bus.Published {
		t.Fatalf("lost %.3f of signals (want 0.3 ± 0.02); published %d = delivered %d + lost %d?", frac, w.Bus.Published, w.Bus.Delivered, w.Bus.Lost)
	}
}
