package data

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
	"github.com/tangle-sim/tangle/topology/topologytest"
	"pgregory.net/rapid"
)

// dataChaos is one fault of a random schedule against the datastore.
type dataChaos struct {
	kind    int // 0 lag, 1 pause, 2 crash, 3 partition of one zone, 4 crash of a coordinator
	target  int // data replica, zone or app replica
	start   sim.Time
	length  sim.Time
	delay   sim.Time
	apply   sim.Time
	oneSide bool // partition: cut only the link to the next zone (a partial partition)
}

func drawDataChaos(t *rapid.T) []dataChaos {
	n := rapid.IntRange(1, 6).Draw(t, "faults")
	out := make([]dataChaos, n)
	for i := range out {
		out[i] = dataChaos{
			kind:    rapid.IntRange(0, 4).Draw(t, "kind"),
			target:  rapid.IntRange(0, 2).Draw(t, "target"),
			start:   sim.Time(rapid.IntRange(0, 25000).Draw(t, "start")) * sim.Millisecond,
			length:  sim.Time(rapid.IntRange(100, 15000).Draw(t, "length")) * sim.Millisecond,
			delay:   sim.Time(rapid.IntRange(0, 500).Draw(t, "delay")) * sim.Millisecond,
			apply:   sim.Time(rapid.IntRange(0, 20).Draw(t, "apply")) * sim.Millisecond,
			oneSide: rapid.Bool().Draw(t, "one-side"),
		}
	}
	// Every schedule lags some replica, so a weak quorum has something to
	// read stale.
	out = append(out, dataChaos{kind: 0, target: rapid.IntRange(0, 2).Draw(t, "lagged"), start: 0, length: 30 * sim.Second,
		delay: sim.Time(rapid.IntRange(50, 500).Draw(t, "lag")) * sim.Millisecond})
	return out
}

func installDataChaos(w *topology.World, sched []dataChaos) {
	db, app := w.Services[1].Replicas, w.Services[0].Replicas
	for _, c := range sched {
		topologytest.At(w, c.start, func() {
			var undo func()
			switch c.kind {
			case 0:
				undo = dataOf(w).LagData(db[c.target], c.delay, c.apply)
			case 1:
				undo = w.Pause(db[c.target])
			case 2:
				undo = w.Crash(db[c.target])
			case 3:
				z := topology.PlaceID(c.target)
				next := topology.PlaceID((c.target + 1) % 3)
				h1 := w.Net.Cut(z, next)
				undo = h1
				if !c.oneSide {
					h2 := w.Net.Cut(z, topology.PlaceID((c.target+2)%3))
					undo = func() { h1(); h2() }
				}
			case 4:
				undo = w.Crash(app[c.target])
			}
			topologytest.At(w, w.Eng.Now()+c.length, undo)
		})
	}
}

// TestStrictQuorumNeverStale is the quorum-intersection property
// (reconcile-slo.md §3.1): with strict quorums and R + W > N, no read
// returns a value older than the newest write acknowledged before the
// request arrived — whatever replica lags, backlogs, pauses, crashes
// (losing queued mutations), zone partitions and coordinator crashes
// the schedule holds. With R + W ≤ N the same schedules do produce stale
// reads, so the property is not vacuous.
func TestStrictQuorumNeverStale(t *testing.T) {
	weakStale, weakRuns, weakRunsStale, strongReads := 0, 0, 0, 0
	rapid.Check(t, func(t *rapid.T) {
		sched := drawDataChaos(t)
		seed := rapid.Uint64().Draw(t, "seed")
		rr := ReadRepair(rapid.IntRange(0, 2).Draw(t, "read repair"))
		strong := []Policy{{Read: 2, Write: 2, ReadRepair: rr}, {Read: 1, Write: -1, ReadRepair: rr}, {Read: -1, Write: 1, ReadRepair: rr}}[rapid.IntRange(0, 2).Draw(t, "levels")]
		for _, pol := range []Policy{strong, {Read: 1, Write: 1, ReadRepair: rr}} {
			w, d, log := quorumWorld(t, seed, pol)
			installDataChaos(w, sched)
			run(w, 30*sim.Second)
			w.Drain(10 * sim.Second)
			st := d.Stats()
			if st.Acked == 0 || log.reads == 0 {
				t.Fatalf("nothing acknowledged (%d) or read (%d)", st.Acked, log.reads)
			}
			if pol.Read+pol.Write == 2 {
				weakRuns++
				weakStale += log.stale
				if log.stale > 0 {
					weakRunsStale++
				}
				continue
			}
			strongReads += log.reads
			if log.stale != 0 {
				t.Fatalf("R=%d W=%d (N=3, strict): %d of %d reads returned a value older than an acknowledged write", pol.Read, pol.Write, log.stale, log.reads)
			}
		}
	})
	if weakRunsStale*2 < weakRuns {
		t.Fatalf("R=W=1 read stale in only %d of %d schedules", weakRunsStale, weakRuns)
	}
	t.Logf("strict R+W>N: 0 stale of %d reads; R=W=1: %d stale reads, in %d of %d schedules", strongReads, weakStale, weakRunsStale, weakRuns)
}

// quorumWorld is dataWorld for the property: N = 3, five hot keys, 200
// requests/s, half of them writes.
func quorumWorld(t *rapid.T, seed uint64, pol Policy) (*topology.World, Datastore, *dataLog) {
	ds := Spec{Service: 1, Mode: Leaderless, Keys: 5, RF: 3, Size: 1024, Workload: []Workload{{Client: 0, Fraction: 1, Reads: 0.5}}}
	spec := worldSpec{
		Places:  []topology.Place{{Region: "r", Zone: "a"}, {Region: "r", Zone: "b"}, {Region: "r", Zone: "c"}},
		Network: topology.NetworkSpec{SameZone: sim.Uniform{Min: 0.0005, Max: 0.0015}, SameRegion: sim.Uniform{Min: 0.001, Max: 0.003}},
		Services: []topology.ServiceSpec{
			{Name: "api", Replicas: 3, Concurrency: 8, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
			{Name: "db", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
		},
		Clients: []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Poisson, Rate: topology.RateProfile{{At: 0, Rate: 200}}, Callers: 3, Timeout: 3 * sim.Second}},
		State:   &state.Spec{Control: state.ControlPlaneSpec{Store: 0, Service: -1}}, Data: &ds,
	}
	w, err := newWorld(spec, topology.Routing{Caller: topologytest.RoundRobin}, seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := dataOf(w).Configure(pol, nil); err != nil {
		t.Fatal(err)
	}
	d, _ := Of(w)
	log := &dataLog{d: dataOf(w)}
	w.Observe(log)
	return w, d, log
}
