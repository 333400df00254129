package metrics

import (
	"math"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func TestAggregateStudentT(t *testing.T) {
	st := Aggregate([]float64{1, 2, 3, 4, 5})
	// mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445 ⇒ half-width 1.963243.
	if st.N != 5 || st.Mean != 3 || math.Abs(st.StdDev-math.Sqrt(2.5)) > 1e-12 {
		t.Fatalf("stat %+v", st)
	}
	if hw := st.HalfWidth(); math.Abs(hw-1.963243) > 1e-6 {
		t.Fatalf("95%% half-width %.6f, want 1.963243", hw)
	}
	if q := TQuantile975(1); math.Abs(q-12.7062) > 1e-4 {
		t.Fatalf("t(0.975, 1) = %g, want 12.7062", q)
	}
	one := Aggregate([]float64{7})
	if one.CILow != 7 || one.CIHigh != 7 || one.StdDev != 0 {
		t.Fatalf("single replication %+v", one)
	}
	nan := Aggregate([]float64{math.NaN(), 2, 4})
	if nan.N != 2 || nan.Mean != 3 || len(nan.Values) != 3 {
		t.Fatalf("NaN-skipping %+v", nan)
	}
	if all := Aggregate([]float64{math.NaN()}); all.N != 0 || !math.IsNaN(all.Mean) {
		t.Fatalf("all-NaN %+v", all)
	}
}

func TestDefaultSeriesInterval(t *testing.T) {
	for _, c := range []struct{ d, want sim.Time }{
		{10 * sim.Minute, sim.Second},
		{2000 * sim.Second, sim.Second},
		{2001 * sim.Second, 2 * sim.Second},
		{5 * 24 * sim.Hour, 5 * sim.Minute},
		{1000 * 24 * sim.Hour, 12 * sim.Hour},
	} {
		if got := DefaultSeriesInterval(c.d); got != c.want {
			t.Errorf("DefaultSeriesInterval(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}

func firstHost(*rand.Rand) topology.Picker {
	return topology.PickerFunc(func(sim.Time, topology.Endpoints, *topology.Request) int { return 0 })
}

// TestRecorderReportsOnlyCataloguedMetrics runs a small world and checks
// every metric the recorder emits is in the catalogue, and every series
// bucket exists.
func TestRecorderReportsOnlyCataloguedMetrics(t *testing.T) {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "s", Replicas: 1, Concurrency: 1, QueueCapacity: 2, ServiceTime: sim.Exponential{M: 1}, ErrorRate: 0.1}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 1.2}}, Callers: 1, Timeout: 3 * sim.Second}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: firstHost}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(w, Config{Warmup: 10 * sim.Second, Horizon: 100 * sim.Second, SeriesInterval: 10 * sim.Second})
	if err != nil {
		t.Fatal(err)
	}
	w.Start(100 * sim.Second)
	w.Eng.Run(100 * sim.Second)
	w.Drain(sim.Minute)
	s := rec.Summary()
	for name := range s {
		if _, ok := Lookup(name); !ok {
			t.Errorf("recorder emits %s, which is not in the catalogue", name)
		}
	}
	for _, o := range []string{"requests_success", "requests_error", "requests_timeout", "requests_rejected"} {
		if s[o] == 0 {
			t.Errorf("%s = 0; this overloaded, erroring world should produce some", o)
		}
	}
	ser := rec.Series()
	if len(ser.Time) != 10 || ser.Time[9] != 100 || len(ser.Values) != len(ser.Columns) {
		t.Fatalf("series has %d buckets ending %v", len(ser.Time), ser.Time)
	}
}

func TestCatalogEntriesAreComplete(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, d := range Catalog() {
		if !snake.MatchString(d.Name) || d.Unit == "" || d.Description == "" {
			t.Errorf("incomplete definition %+v", d)
		}
	}
	if _, ok := Lookup("latency_p99"); !ok {
		t.Error("latency_p99 missing")
	}
}
