package routectl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// twoRegions is api with two replicas in each of two regions (a and b, 20
// ms apart) and one client with two callers, one per region, behind an
// edge in a.
func twoRegions(rate float64) worldSpec {
	return worldSpec{
		Places:   []topology.Place{{Region: "a", Zone: "z"}, {Region: "b", Zone: "z"}},
		Network:  topology.NetworkSpec{CrossRegion: sim.Constant{V: 0.02}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 4, Concurrency: 4, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.01}, Places: []topology.PlaceID{0, 1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: rate}}, Callers: 2, Edge: true}},
		Bus:      topology.BusSpec{Interval: sim.Second},
		State:    &state.Spec{Control: state.ControlPlaneSpec{Service: -1}, Routes: true},
	}
}

// recorder of route events.
type routeLog struct {
	received []struct {
		at     sim.Time
		holder int
		v      state.Version
	}
	applied int
}

func (l *routeLog) RouteReceived(now sim.Time, _, holder int, v state.Version) {
	l.received = append(l.received, struct {
		at     sim.Time
		holder int
		v      state.Version
	}{now, holder, v})
}
func (l *routeLog) RouteApplied(sim.Time, int, int, []float64, sim.Time) { l.applied++ }
func (l *routeLog) RouteWritten(sim.Time, int, state.Version)            {}

// A central controller's config reaches each sidecar after its own
// network delay from the store (debounced 100 ms, then 0 or 20 ms), as a
// new version; a sidecar cut from the control plane keeps its last config
// and resyncs when the cut heals.
func TestRoutePushArrivesUnevenly(t *testing.T) {
	spec := twoRegions(10)
	spec.Clients[0].Edge = false
	spec.Clients[0].Place = 0
	w, err := newWorld(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Callers[1].Place = 1 // the second sidecar runs in region b
	state.Of(w).Nodes[len(w.Replicas)+1].Place = 1
	split := EngineFunc(func(o *Observation, d *Decision) {
		d.Weights[0], d.Weights[1] = float64(int(o.Now/(10*sim.Second))%2+1), 1
	})
	rc := &Control{Pattern: PatternCentral, Scope: ScopeSidecar, Interval: 10 * sim.Second,
		Engine: func(*rand.Rand) Engine { return split }}
	Of(w).Configure(rc)
	log := &routeLog{}
	Of(w).ObserveRoutes(log)
	cut := state.Of(w).Nodes[len(w.Replicas)+1]
	var heal func()
	topologytest.At(w, 15*sim.Second, func() { heal = state.Of(w).Cut(cut) })
	topologytest.At(w, 45*sim.Second, func() { heal() })
	w.Start(100 * sim.Second)
	w.Eng.Run(100 * sim.Second)
	first := map[state.Version][2]sim.Time{}
	for _, r := range log.received {
		x := first[r.v]
		x[r.holder] = r.at
		first[r.v] = x
	}
	x, ok := first[2]
	if !ok || x[1]-x[0] != 20*sim.Millisecond {
		t.Fatalf("version 2 reached the sidecars at %v: want the far one 20 ms later", x)
	}
	// While cut (15 s–45 s) the far sidecar receives nothing; once healed
	// its next reconnect attempt (jittered backoff, capped at 30 s)
	// resyncs it to the store's version.
	var during, after int
	last := state.Version(0)
	for _, r := range log.received {
		if r.holder == 1 && r.at > 15*sim.Second && r.at < 45*sim.Second {
			during++
		}
		if r.holder == 1 && r.at >= 45*sim.Second {
			after++
			last = r.v
		}
	}
	if during != 0 || after == 0 || last != Of(w).RouteDesired(0) {
		t.Fatalf("cut sidecar received %d configs while cut, %d after (last v%d, store v%d)", during, after, last, Of(w).RouteDesired(0))
	}
	if Of(w).Stats().Decisions < 5 || Of(w).Audit()[0].Outcome != "pushed v2" {
		t.Fatalf("decisions %d, first audit %+v", Of(w).Stats().Decisions, Of(w).Audit()[0])
	}
}

type fixedLag struct{ lag sim.Time }

func (f fixedLag) Lag(sim.Time, string) (sim.Time, bool) { return f.lag, true }

// The region sensors: a replica's signal carries its region's price,
// threat and lag; faults shift them; a data layer feeds the lag sensor;
// the latency sensor is an EWMA of the time requests spent at the replica
// and the error rate the fraction of them that failed.
func TestRegionSensors(t *testing.T) {
	spec := twoRegions(50)
	spec.Clients[0].Edge = false
	spec.Bus.Regions = []topology.RegionSignals{{Region: "a", Cost: 0.001, Threat: 0.1, Lag: 2 * sim.Second}}
	spec.Services[0].ErrorRate = 0.2
	w, _ := build(t, spec)
	var revert func()
	topologytest.At(w, 5*sim.Second, func() {
		revert = w.Bus.ShiftRegion("a", topology.RegionShift{Price: 3, Signal: 0.5, Threat: 0.5, Lag: sim.Second})
	})
	w.Start(20 * sim.Second)
	w.Eng.Run(4500 * sim.Millisecond)
	s := w.Bus.Board(0, 0) // replica 0 is in a
	if s.Cost != 0.001 || s.Billed != 0.001 || s.Threat != 0.1 || s.Lag != 2 || !s.Healthy {
		t.Fatalf("baseline readings %+v", s)
	}
	if math.Abs(s.Latency-0.01) > 1e-9 {
		t.Fatalf("latency EWMA %g, want the 10 ms service time", s.Latency)
	}
	w.Eng.Run(10500 * sim.Millisecond)
	s = w.Bus.Board(0, 0)
	if math.Abs(s.Cost-0.0015) > 1e-12 || math.Abs(s.Billed-0.003) > 1e-12 || math.Abs(s.Threat-0.6) > 1e-12 || s.Lag != 3 {
		t.Fatalf("shifted readings %+v", s)
	}
	if s.ErrorRate <= 0.05 || s.ErrorRate >= 0.4 {
		t.Fatalf("error rate %g with a 20%% error probability", s.ErrorRate)
	}
	revert()
	w.Bus.FeedLag(fixedLag{7 * sim.Second})
	w.Eng.Run(12 * sim.Second)
	if s := w.Bus.Board(0, 0); s.Lag != 7 || s.Cost != 0.001 {
		t.Fatalf("fed lag %g, cost %g after the revert", s.Lag, s.Cost)
	}
}

// Forged reports reach the board unless the bus authenticates them.
func TestForgedSignals(t *testing.T) {
	for _, auth := range []bool{false, true} {
		spec := twoRegions(10)
		spec.Clients[0].Edge = false
		w, _ := build(t, spec)
		w.Bus.Authenticate = auth
		w.Bus.Tamper(w.Replicas[0], topology.Tamper{Forge: func(s topology.Signal) topology.Signal { s.Value = 1000; return s }})
		w.Start(5 * sim.Second)
		w.Eng.Run(5 * sim.Second)
		s := w.Bus.Board(0, 0)
		switch {
		case !auth && (!s.Forged || s.Value != 1000 || w.Bus.Forged == 0):
			t.Errorf("without authentication the forged report should land: %+v", s)
		case auth && (s.Forged || s.Valid || w.Bus.ForgedBlocked == 0):
			t.Errorf("with authentication it should be dropped: %+v, blocked %d", s, w.Bus.ForgedBlocked)
		}
	}
}
