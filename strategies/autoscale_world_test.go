package strategies

import (
	"bytes"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// decisions wraps an autoscaler and records each sync's decision.
type decisions struct {
	topology.Autoscaler
	at   []sim.Time
	want []int
	cur  []int
}

func (d *decisions) Scale(v *topology.ScaleView) int {
	n := d.Autoscaler.Scale(v)
	d.at, d.want, d.cur = append(d.at, v.Now), append(d.want, n), append(d.cur, v.Current)
	return n
}

// spikeWorld is a pool of 10 replicas (1 slot, 100 ms each: 10/s), 2
// ready, under a: 10/s until 60 s, 40/s until 200 s, then 10/s.
func spikeWorld(t *testing.T, a topology.Autoscaler, seed uint64) (*topology.World, *decisions) {
	t.Helper()
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 10, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.1}}},
		Clients: []topology.ClientSpec{{Name: "users", Service: 0, Arrival: topology.Constant, Callers: 1, Rate: topology.RateProfile{
			{At: 0, Rate: 10}, {At: 60 * sim.Second, Rate: 10}, {At: 60 * sim.Second, Rate: 40},
			{At: 200 * sim.Second, Rate: 40}, {At: 200 * sim.Second, Rate: 10}}}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin, PanicThreshold: 0.5}, seed)
	if err != nil {
		t.Fatal(err)
	}
	d := &decisions{Autoscaler: a}
	if err := w.Autoscale(w.Services[0], d, 2, topology.ScaleConfig{ReadyAfter: 5 * sim.Second, TerminationGrace: 30 * sim.Second}); err != nil {
		t.Fatal(err)
	}
	return w, d
}

func hpaWith(t *testing.T, set sim.Params) topology.Autoscaler {
	t.Helper()
	def, _ := LookupAutoscaler("hpa")
	p, err := def.Params.Complete(set)
	if err != nil {
		t.Fatal(err)
	}
	b, err := def.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	return b()
}

// The HPA follows the load up at a 15 s sync boundary (the first one after
// the spike) and back down only as the scale-down stabilisation window
// lets it: to the highest recommendation of the last 300 s, so never
// within 300 s of a recommendation as high as the count it leaves.
func TestHPAFollowsLoad(t *testing.T) {
	h := hpaWith(t, sim.Params{"target_utilization": 0.5}).(*HPA)
	w, d := spikeWorld(t, &recs{HPA: h}, 1)
	w.Start(700 * sim.Second)
	w.Eng.Run(700 * sim.Second)
	w.Drain(sim.Minute)
	r := d.Autoscaler.(*recs)
	firstUp, firstDown, peak := sim.Time(-1), sim.Time(-1), 0
	for i, at := range d.at {
		if at%(15*sim.Second) != 0 {
			t.Fatalf("sync at %v, not on the 15 s period", at)
		}
		if d.want[i] > d.cur[i] && firstUp < 0 {
			firstUp = at
		}
		peak = max(peak, d.want[i])
		if d.want[i] >= d.cur[i] {
			continue
		}
		if firstDown < 0 {
			firstDown = at
		}
		high := 0 // the highest recommendation of the window (at-300 s, at]
		for j, ra := range r.at {
			if ra > at-300*sim.Second && ra <= at {
				high = max(high, r.rec[j])
			}
			if ra > at-300*sim.Second && ra <= at && r.rec[j] >= d.cur[i] {
				t.Errorf("scaled down from %d at %v though %d was recommended at %v", d.cur[i], at, r.rec[j], ra)
			}
		}
		if d.want[i] != max(high, 1) {
			t.Errorf("scaled down to %d at %v, want the window's highest recommendation %d", d.want[i], at, high)
		}
	}
	if firstUp != 75*sim.Second {
		t.Errorf("first scale-up at %v, want 75s (the first sync after the spike at 60 s)", firstUp)
	}
	if peak < 8 || peak > 10 {
		t.Errorf("peak %d replicas, want 8 (40/s of 100 ms at 50%%) to 10", peak)
	}
	if firstDown < 200*sim.Second+240*sim.Second {
		t.Errorf("first scale-down at %v: too soon after the load fell at 200 s", firstDown)
	}
	if n := d.want[len(d.want)-1]; n != 2 {
		t.Errorf("ends at %d replicas, want 2 (10/s at 50%%)", n)
	}
	if w.InFlight() != 0 {
		t.Errorf("%d requests never ended", w.InFlight())
	}
}

// recs records an HPA's unstabilised recommendations.
type recs struct {
	*HPA
	at  []sim.Time
	rec []int
}

func (r *recs) Scale(v *topology.ScaleView) int {
	n := r.HPA.Scale(v)
	if r.HPA.Last.Metric >= 0 {
		r.at, r.rec = append(r.at, v.Now), append(r.rec, r.HPA.Last.Metric)
	}
	return n
}

// Knative scales up within a tick of the spike and never below what it
// asked for while in panic.
func TestKPAFollowsLoad(t *testing.T) {
	def, _ := LookupAutoscaler("kpa")
	p, _ := def.Params.Complete(sim.Params{})
	b, _ := def.Build(p)
	w, d := spikeWorld(t, b(), 1)
	w.Start(500 * sim.Second)
	w.Eng.Run(500 * sim.Second)
	w.Drain(sim.Minute)
	firstUp := sim.Time(-1)
	for i, at := range d.at {
		if at%(2*sim.Second) != 0 {
			t.Fatalf("tick at %v, not on the 2 s period", at)
		}
		if d.want[i] > d.cur[i] && firstUp < 0 {
			firstUp = at
		}
	}
	if firstUp < 60*sim.Second || firstUp > 66*sim.Second {
		t.Errorf("first scale-up at %v, want within 6 s (the panic window) of the spike at 60 s", firstUp)
	}
	if n := d.want[len(d.want)-1]; n > 3 {
		t.Errorf("ends at %d replicas after the spike, want ≤ 3", n)
	}
}

// Same seed, same decisions, byte for byte.
func TestAutoscaleDeterministic(t *testing.T) {
	run := func() []byte {
		w, d := spikeWorld(t, hpaWith(t, sim.Params{"target_utilization": 0.5}), 42)
		w.Start(400 * sim.Second)
		w.Eng.Run(400 * sim.Second)
		w.Drain(sim.Minute)
		var b bytes.Buffer
		for i := range d.at {
			fmt.Fprintf(&b, "%d %d %d\n", d.at[i], d.cur[i], d.want[i])
		}
		fmt.Fprintf(&b, "%.9f\n", w.Services[0].ReplicaSeconds(w.Eng.Now()))
		return b.Bytes()
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Fatalf("two runs with one seed differ:\n%s\n%s", a, b)
	}
}

// Property: under any load profile, the HPA's and the KPA's decisions stay
// within [min, max] once the count is in range, the pool never holds more
// ready pods than it has, and every request still ends exactly once.
func TestAutoscalersStayInBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pool := rapid.IntRange(1, 12).Draw(t, "pool")
		minR := rapid.IntRange(1, pool).Draw(t, "min")
		maxR := rapid.IntRange(minR, pool).Draw(t, "max")
		kind := rapid.SampledFrom([]string{"hpa", "kpa"}).Draw(t, "autoscaler")
		def, _ := LookupAutoscaler(kind)
		set := sim.Params{"min_replicas": int64(minR), "max_replicas": int64(maxR)}
		if kind == "hpa" {
			set["metric"] = rapid.SampledFrom([]string{"cpu", "inflight"}).Draw(t, "metric")
			set["scale_down_stabilization"] = sim.Time(rapid.IntRange(0, 120).Draw(t, "stab")) * sim.Second
		}
		p, err := def.Params.Complete(set)
		if err != nil {
			t.Fatal(err)
		}
		build, err := def.Build(p)
		if err != nil {
			t.Fatal(err)
		}
		var prof topology.RateProfile
		at := sim.Time(0)
		for i := 0; i < 4; i++ {
			r := float64(rapid.IntRange(0, 80).Draw(t, "rate")) // whole rates: a rate such as 2e-10/s overflows the arrival time (client.go nextArrival)
			prof = append(prof, topology.RatePoint{At: at, Rate: r}, topology.RatePoint{At: at + 50*sim.Second, Rate: r})
			at += 50 * sim.Second
		}
		spec := topology.Spec{
			Places:   []topology.Place{{Region: "local", Zone: "a"}},
			Services: []topology.ServiceSpec{{Name: "api", Replicas: pool, Concurrency: rapid.IntRange(1, 4).Draw(t, "conc"), QueueCapacity: 20, ServiceTime: sim.Exponential{M: 0.05}}},
			Clients:  []topology.ClientSpec{{Name: "users", Service: 0, Rate: prof, Callers: 2, Timeout: 2 * sim.Second}},
		}
		w, err := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin, PanicThreshold: 0.5}, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		d := &decisions{Autoscaler: build()}
		cfg := topology.ScaleConfig{ReadyAfter: sim.Time(rapid.IntRange(0, 20).Draw(t, "ready")) * sim.Second, ColdFactor: 3, ColdTau: 10 * sim.Second, TerminationGrace: 5 * sim.Second}
		if err := w.Autoscale(w.Services[0], d, rapid.IntRange(minR, maxR).Draw(t, "initial"), cfg); err != nil {
			t.Fatal(err)
		}
		ended := map[uint64]int{}
		w.Observe(endCounter(ended))
		w.Start(at)
		w.Eng.Run(at)
		w.Drain(sim.Hour)
		for i := range d.at {
			if d.want[i] < minR || d.want[i] > maxR {
				t.Fatalf("%s asked for %d replicas at %v, outside [%d, %d]", kind, d.want[i], d.at[i], minR, maxR)
			}
		}
		if w.Services[0].Provisioned > maxR {
			t.Fatalf("%d provisioned, max %d", w.Services[0].Provisioned, maxR)
		}
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

type endCounter map[uint64]int

func (e endCounter) RequestEnded(_ sim.Time, r *topology.Request) { e[r.ID]++ }
