package topology

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// firstPicker picks host 0 if healthy: enough routing for world tests.
func roundRobin(*rand.Rand) Picker {
	next := 0
	return PickerFunc(func(_ sim.Time, eps Endpoints, _ *Request) int {
		n := eps.Len()
		for k := 0; k < n; k++ {
			i := (next + k) % n
			if eps.Healthy(i) {
				next = i + 1
				return i
			}
		}
		return -1
	})
}

type tally struct {
	n        [8]int
	sojourn  float64
	measured int
	warmup   sim.Time
}

func (t *tally) RequestEnded(now sim.Time, r *Request) {
	t.n[r.Outcome]++
	if r.Arrived >= t.warmup && (r.Outcome == Success || r.Outcome == Error) {
		t.sojourn += r.Latency().Seconds()
		t.measured++
	}
}

func mm1(rate float64) Spec {
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 1, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Exponential{M: 1}}},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Rate: RateProfile{{0, rate}}, Callers: 1}},
	}
}

func TestMM1SmokeAndConservation(t *testing.T) {
	w, err := New(mm1(0.5), Routing{Caller: roundRobin}, 7)
	if err != nil {
		t.Fatal(err)
	}
	tl := &tally{warmup: 1000 * sim.Second}
	w.Observe(tl)
	w.Start(200000 * sim.Second)
	w.Eng.Run(200000 * sim.Second)
	w.Drain(sim.Hour)
	gen := w.Clients[0].Generated
	total := 0
	for _, n := range tl.n {
		total += n
	}
	if uint64(total) != gen || w.InFlight() != 0 {
		t.Fatalf("generated %d, ended %d, in flight %d", gen, total, w.InFlight())
	}
	mean := tl.sojourn / float64(tl.measured)
	if math.Abs(mean-2)/2 > 0.05 {
		t.Fatalf("M/M/1 rho=0.5 mean sojourn %.3f, want 2 ± 5%%", mean)
	}
}

// A serverless replica idle longer than its idle time makes the next job
// wait the cold start.
func TestScaleToZero(t *testing.T) {
	w, rec := build(t, oneReplica(Unbounded, 0))
	w.Services[0].Spec.ServiceTime = sim.Constant{V: 0.1}
	w.ScaleToZero(w.Replicas[0], 500*sim.Millisecond, sim.Second)
	w.Start(2500 * sim.Millisecond) // arrivals at 1 s (idle since 0: cold) and 2 s (queued behind it: warm)
	w.Eng.Run(sim.Minute)
	if len(rec.ended) != 2 || rec.ended[0].Latency() != 1100*sim.Millisecond || rec.ended[1].Latency() != 200*sim.Millisecond || w.Replicas[0].ColdStarts != 1 {
		t.Fatalf("latencies %v, %v; cold starts %d", rec.ended[0].Latency(), rec.ended[1].Latency(), w.Replicas[0].ColdStarts)
	}
}

// A routing weight of 0 excludes a host from the view, in panic mode too;
// the others keep their weights and the health counts stay consistent
// with crashes on top.
func TestRouteWeightsExclude(t *testing.T) {
	w, _ := build(t, Spec{
		Places:   []Place{{"east", "a"}, {"west", "a"}},
		Network:  NetworkSpec{CrossRegion: sim.Constant{V: 0.02}},
		Services: []ServiceSpec{{Name: "api", Replicas: 4, Concurrency: 4, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.01}, Places: []PlaceID{0, 1}}},
		Clients:  []ClientSpec{{Name: "c", Service: 0, Arrival: Constant, Rate: RateProfile{{0, 0}}, Callers: 2}},
		Bus:      BusSpec{Interval: sim.Second},
	})
	c := w.Callers[0]
	w.SetCallerRoute(c, []float64{0, 1, 0, 2})
	v := &c.all
	if v.HealthyCount() != 2 || v.Healthy(0) || !v.Healthy(1) || v.Weight(3) != 2 || v.candidates() != 2 {
		t.Fatalf("healthy %d, weights %v", v.HealthyCount(), []float64{v.Weight(0), v.Weight(1), v.Weight(2), v.Weight(3)})
	}
	restart := w.Crash(w.Replicas[0]) // excluded and down: no double count
	w.Crash(w.Replicas[1])
	if v.HealthyCount() != 1 {
		t.Fatalf("healthy %d after crashing an excluded and an included host, want 1", v.HealthyCount())
	}
	v.panic = true
	if v.HealthyCount() != 2 || v.Healthy(0) {
		t.Fatalf("panic must not bring excluded hosts back")
	}
	v.panic = false
	restart()
	w.SetCallerRoute(c, nil)
	if v.HealthyCount() != 3 || v.Weight(3) != 1 {
		t.Fatalf("nil weights restore the replicas' own: healthy %d", v.HealthyCount())
	}
}

// TestTinyRatesNeverWrap: a client whose next arrival lies beyond what
// sim.Time can hold (1e-10 requests/s: one per 317 years) makes no more,
// instead of wrapping into the past (which panicked with "scheduled before
// now"), for either arrival process, and a Poisson client still follows a
// later step up.
func TestTinyRatesNeverWrap(t *testing.T) {
	for _, arrival := range []ArrivalKind{Poisson, Constant} {
		spec := Spec{
			Places:   []Place{{Region: "r", Zone: "a"}},
			Services: []ServiceSpec{{Name: "s", Replicas: 1, Concurrency: 1, ServiceTime: sim.Constant{V: 0.01}}},
			Clients: []ClientSpec{
				{Name: "tiny", Service: 0, Arrival: arrival, Rate: RateProfile{{At: 0, Rate: 1}, {At: 10 * sim.Second, Rate: 1e-10}}, Callers: 1},
				{Name: "step", Service: 0, Arrival: arrival, Rate: RateProfile{{At: 0, Rate: 1e-12}, {At: 30 * sim.Second, Rate: 1}}, Callers: 1},
			},
		}
		w, err := New(spec, Routing{Caller: roundRobin}, 1)
		if err != nil {
			t.Fatal(err)
		}
		w.Start(sim.Minute)
		w.Eng.Run(sim.Minute)
		if g := w.Clients[0].Generated; g > 20 {
			t.Errorf("arrival %v: the client down to a tiny rate at 10 s made %d requests in a minute", arrival, g)
		}
		// (a constant process spaces its next arrival at the rate it has when
		// the previous one arrives, so only a Poisson one sees the step)
		if g := w.Clients[1].Generated; arrival == Poisson && g < 10 {
			t.Errorf("arrival %v: after its step to 1/s the client made %d requests in 30 s", arrival, g)
		}
	}
}
