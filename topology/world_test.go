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
