package topology

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
)

// script is an autoscaler that asks for the counts of its list, one per
// sync, and remembers what it saw.
type script struct {
	every sim.Time
	want  []int
	seen  []ScaleView
}

func (s *script) Interval() sim.Time { return s.every }
func (s *script) Scale(v *ScaleView) int {
	s.seen = append(s.seen, ScaleView{Now: v.Now, Current: v.Current, Ready: v.Ready})
	n := s.want[min(len(s.seen)-1, len(s.want)-1)]
	return n
}

func pool(n int, rate float64) Spec {
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: n, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.1}}},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Rate: RateProfile{{0, rate}}, Callers: 1}},
	}
}

// servedBy counts, per replica, the attempts sent to it.
type servedBy struct{ n []int }

func (s *servedBy) RequestEnded(sim.Time, *Request) {}
func (s *servedBy) JobSent(_ sim.Time, j *Job)      { s.n[j.Replica]++ }

// Replicas outside the provisioned count get no work; new ones become
// routable ReadyAfter after the sync that asked for them, and a replica
// scaled down gets no new work but finishes what it has.
func TestAutoscaleProvisioning(t *testing.T) {
	w, err := New(pool(4, 5), Routing{Caller: roundRobin, PanicThreshold: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	a := &script{every: 10 * sim.Second, want: []int{4, 4, 1}}
	if err := w.Autoscale(w.Services[0], a, 2, ScaleConfig{ReadyAfter: 3 * sim.Second, TerminationGrace: 30 * sim.Second}); err != nil {
		t.Fatal(err)
	}
	sb := &servedBy{n: make([]int, 4)}
	w.Observe(sb)
	var counts []int
	for _, at := range []sim.Time{9, 12, 14, 25, 31} {
		w.Eng.At(at*sim.Second, ClassObserve, w.Eng.Handle("probe", func(uint64) { counts = append(counts, w.Services[0].Provisioned) }), 0)
	}
	before := 0
	w.Eng.At(13*sim.Second, ClassObserve, w.Eng.Handle("probe2", func(uint64) { before = sb.n[2] + sb.n[3] }), 0)
	w.Start(40 * sim.Second)
	w.Eng.Run(40 * sim.Second)
	w.Drain(sim.Minute)
	if before != 0 {
		t.Errorf("replicas 2 and 3 got %d attempts before they were ready at 13 s", before)
	}
	want := []int{2, 2, 4, 4, 1}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("provisioned over time %v, want %v", counts, want)
		}
	}
	if sb.n[2] == 0 || sb.n[3] == 0 {
		t.Errorf("new replicas got no work: %v", sb.n)
	}
	if a.seen[1].Current != 4 || a.seen[1].Ready != 4 || a.seen[0].Ready != 2 {
		t.Errorf("autoscaler saw %+v", a.seen)
	}
	if got := w.ScaleEvents(w.Services[0]); got != 2 {
		t.Errorf("scale events %d, want 2", got)
	}
}

// Property: whatever an autoscaler asks for and whatever crashes happen,
// the provisioned count stays within the pool, matches what the pickers
// see, and every request still ends exactly once.
func TestAutoscaleProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "pool")
		want := rapid.SliceOfN(rapid.IntRange(-1, n+2), 1, 20).Draw(t, "desired")
		rate := rapid.Float64Range(1, 40).Draw(t, "rate")
		spec := pool(n, rate)
		spec.Services[0].ServiceTime = sim.Exponential{M: rapid.Float64Range(0.01, 0.5).Draw(t, "service")}
		w, err := New(spec, Routing{Caller: roundRobin, PanicThreshold: rapid.Float64Range(0, 1).Draw(t, "panic")}, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		a := &script{every: sim.Time(rapid.IntRange(1, 5).Draw(t, "every")) * sim.Second, want: want}
		cfg := ScaleConfig{ReadyAfter: sim.Time(rapid.IntRange(0, 4).Draw(t, "ready")) * sim.Second, TerminationGrace: sim.Time(rapid.IntRange(0, 3).Draw(t, "grace")) * sim.Second, ColdFactor: 2, ColdTau: sim.Second}
		if err := w.Autoscale(w.Services[0], a, rapid.IntRange(0, n).Draw(t, "initial"), cfg); err != nil {
			t.Fatal(err)
		}
		ended := map[uint64]int{}
		w.Observe(observerFunc(func(_ sim.Time, r *Request) { ended[r.ID]++ }))
		crashes := rapid.SliceOfN(rapid.IntRange(0, n-1), 0, 4).Draw(t, "crashes")
		for i, c := range crashes {
			rep := w.Replicas[c]
			w.Eng.At(sim.Time(3+4*i)*sim.Second, ClassFault, w.Eng.Handle("crash", func(uint64) {
				restart := w.Crash(rep)
				w.Eng.After(2*sim.Second, ClassFault, w.Eng.Handle("restart", func(uint64) { restart() }), 0)
			}), 0)
		}
		check := w.Eng.Handle("check", func(uint64) {
			svc := w.Services[0]
			prov, up := 0, 0
			for _, r := range svc.Replicas {
				if r.Provisioned() {
					prov++
					if r.State != Down {
						up++
					}
				}
			}
			if prov != svc.Provisioned || prov < 0 || prov > n || up != svc.Up {
				t.Fatalf("provisioned %d (field %d), up %d (field %d), pool %d", prov, svc.Provisioned, up, svc.Up, n)
			}
			c := w.Callers[0]
			if h := c.healthyHosts(-1); h != up {
				t.Fatalf("caller sees %d healthy, %d provisioned and up", h, up)
			}
		})
		for s := 1; s < 30; s++ {
			w.Eng.At(sim.Time(s)*sim.Second+sim.Millisecond, ClassObserve, check, 0)
		}
		w.Start(30 * sim.Second)
		w.Eng.Run(30 * sim.Second)
		w.Drain(sim.Hour)
		if w.InFlight() != 0 || uint64(len(ended)) != w.Clients[0].Generated {
			t.Fatalf("generated %d, ended %d, in flight %d", w.Clients[0].Generated, len(ended), w.InFlight())
		}
		for id, k := range ended {
			if k != 1 {
				t.Fatalf("request %d ended %d times", id, k)
			}
		}
	})
}

type observerFunc func(now sim.Time, r *Request)

func (f observerFunc) RequestEnded(now sim.Time, r *Request) { f(now, r) }
