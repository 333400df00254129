package strategies

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// hosts is a fixed Endpoints for picker tests: set the fields, then pick.
type hosts struct {
	load     []float64
	weight   []float64
	healthy  []bool
	priority []int
	locality []int
	since    []sim.Time
	report   []topology.Signal
	gen      uint64
	id0      int // ID of host 0; host i has ID id0+i
}

func newHosts(n int) *hosts {
	h := &hosts{
		load: make([]float64, n), weight: make([]float64, n), healthy: make([]bool, n),
		priority: make([]int, n), locality: make([]int, n), since: make([]sim.Time, n), report: make([]topology.Signal, n),
	}
	for i := range h.healthy {
		h.healthy[i], h.weight[i] = true, 1
	}
	return h
}

func (h *hosts) Len() int                     { return len(h.load) }
func (h *hosts) Load(i int) float64           { return h.load[i] }
func (h *hosts) Weight(i int) float64         { return h.weight[i] }
func (h *hosts) Healthy(i int) bool           { return h.healthy[i] }
func (h *hosts) ID(i int) int                 { return h.id0 + i }
func (h *hosts) Priority(i int) int           { return h.priority[i] }
func (h *hosts) Locality(i int) int           { return h.locality[i] }
func (h *hosts) Since(i int) sim.Time         { return h.since[i] }
func (h *hosts) Report(i int) topology.Signal { return h.report[i] }
func (h *hosts) Generation() uint64           { return h.gen }
func (h *hosts) HealthyCount() int {
	n := 0
	for _, ok := range h.healthy {
		if ok {
			n++
		}
	}
	return n
}

func TestRoundRobinCyclesOverHealthyHosts(t *testing.T) {
	h := newHosts(4)
	h.healthy[1] = false
	p := NewRoundRobin(sim.NewStream(1, "rr"))
	counts := make([]int, 4)
	prev := -1
	for i := 0; i < 300; i++ {
		k := p.Pick(0, h, nil)
		if k == prev {
			t.Fatalf("picked host %d twice in a row", k)
		}
		prev = k
		counts[k]++
	}
	if counts[1] != 0 || counts[0] != 100 || counts[2] != 100 || counts[3] != 100 {
		t.Fatalf("counts %v, want 100 each over the three healthy hosts", counts)
	}
	for i := range h.healthy {
		h.healthy[i] = false
	}
	if p.Pick(0, h, nil) != -1 {
		t.Fatal("picked a host when none is healthy")
	}
}

// TestRoundRobinStartsAtRandomIndex: Envoy seeds each worker's index, so
// deciders built from different streams do not all start at host 0.
func TestRoundRobinStartsAtRandomIndex(t *testing.T) {
	h := newHosts(10)
	firsts := map[int]bool{}
	for i := 0; i < 50; i++ {
		firsts[NewRoundRobin(sim.NewStream(uint64(i), "rr")).Pick(0, h, nil)] = true
	}
	if len(firsts) < 5 {
		t.Fatalf("50 deciders started at only %d distinct hosts", len(firsts))
	}
}

func TestRandomIsUniformOverHealthyHosts(t *testing.T) {
	h := newHosts(5)
	h.healthy[4] = false
	p := NewRandom(sim.NewStream(1, "random"))
	counts := make([]float64, 5)
	const n = 40000
	for i := 0; i < n; i++ {
		counts[p.Pick(0, h, nil)]++
	}
	if counts[4] != 0 {
		t.Fatal("picked the unhealthy host")
	}
	for i := 0; i < 4; i++ { // each ~ Binomial(n, 1/4): sd ≈ 87
		if math.Abs(counts[i]-n/4) > 5*math.Sqrt(n*0.25*0.75) {
			t.Errorf("host %d picked %g times, want %g ± 5 sd", i, counts[i], float64(n/4))
		}
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range RoutingNames() {
		d, _ := LookupRouting(name)
		if d.Source == "" || d.Description == "" {
			t.Errorf("%s: no source or description", name)
		}
		f, err := d.Build(d.Params.Defaults())
		if err != nil {
			t.Fatalf("%s with defaults: %v", name, err)
		}
		if f(sim.NewStream(1, name)) == nil {
			t.Fatalf("%s built a nil picker", name)
		}
	}
	if _, err := (sim.ParamSet{}).Complete(sim.Params{"nope": int64(1)}); err == nil {
		t.Error("unknown parameter accepted")
	}
}

var _ topology.Endpoints = (*hosts)(nil)

// pickCounts makes n picks from p over eps at now and counts them per host.
func pickCounts(t *testing.T, p topology.Picker, eps topology.Endpoints, now sim.Time, n int) []int {
	t.Helper()
	counts := make([]int, eps.Len())
	for i := 0; i < n; i++ {
		k := p.Pick(now, eps, &topology.Request{Key: uint64(i)})
		if k < 0 {
			t.Fatalf("pick %d: no host", i)
		}
		counts[k]++
	}
	return counts
}

// build makes a picker of the named routing with params over its defaults.
func build(t *testing.T, routing string, params sim.Params, seed uint64) topology.Picker {
	t.Helper()
	d, ok := LookupRouting(routing)
	if !ok {
		t.Fatalf("no routing %q", routing)
	}
	full, err := d.Params.Complete(params)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Build(full)
	if err != nil {
		t.Fatal(err)
	}
	return f(sim.NewStream(seed, routing))
}

// binomialOK reports whether k successes in n trials are within z standard
// deviations of probability p.
func binomialOK(k, n int, p, z float64) bool {
	return math.Abs(float64(k)-float64(n)*p) <= z*math.Sqrt(float64(n)*p*(1-p))+1e-9
}
