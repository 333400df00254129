package data

import (
	"math/rand/v2"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// dataLog records the datastore's notifications and the data outcomes of
// requests.
type dataLog struct {
	d         Datastore
	behind    int
	total     int
	lags      []sim.Time
	converged int
	reads     int
	stale     int
	failed    int
	maxQueue  int
}

func (l *dataLog) DataDivergence(_ sim.Time, behind, total int) { l.behind, l.total = behind, total }
func (l *dataLog) Replicated(_ sim.Time, lag sim.Time)          { l.lags = append(l.lags, lag) }
func (l *dataLog) WriteConverged(sim.Time, sim.Time)            { l.converged++ }
func (l *dataLog) Backlog(_ sim.Time, q int)                    { l.maxQueue = max(l.maxQueue, q) }
func (l *dataLog) RequestEnded(_ sim.Time, r *topology.Request) {
	if l.d.OpOf(r).Kind == Read {
		if r.Outcome == topology.Success {
			l.reads++
			if l.d.ServedBy(r).Stale {
				l.stale++
			}
		} else {
			l.failed++
		}
	}
}

// dataWorld is an app service of 3 replicas (one per zone) whose client
// sends rate requests per second, each a data operation (reads a fraction
// of them) on keys keys, over a datastore of 3 replicas (one per zone) in
// the given mode. Latency is 1 ms within a zone and 2 ms between zones.
func dataWorld(t *testing.T, mode Mode, keys int, rate, reads float64, pol Policy, tweak func(*Spec)) (*topology.World, Datastore, *dataLog) {
	t.Helper()
	ds := Spec{Service: 1, Mode: mode, Keys: keys, RF: 3, Size: 1024,
		Workload: []Workload{{Client: 0, Fraction: 1, Reads: reads}}}
	if tweak != nil {
		tweak(&ds)
	}
	spec := worldSpec{
		Places:  []topology.Place{{Region: "r", Zone: "a"}, {Region: "r", Zone: "b"}, {Region: "r", Zone: "c"}},
		Network: topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}, SameRegion: sim.Constant{V: 0.002}},
		Services: []topology.ServiceSpec{
			{Name: "api", Replicas: 3, Concurrency: 8, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
			{Name: "db", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
		},
		Clients: []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Poisson, Rate: topology.RateProfile{{At: 0, Rate: rate}}, Callers: 3}},
		State:   &state.Spec{Control: state.ControlPlaneSpec{Store: 0, Service: -1}}, Data: &ds,
	}
	w, _ := build(t, spec)
	if err := dataOf(w).Configure(pol, nil); err != nil {
		t.Fatal(err)
	}
	d, ok := Of(w)
	if !ok {
		t.Fatal("no datastore")
	}
	log := &dataLog{d: dataOf(w)}
	d.Observe(log)
	w.Observe(log)
	return w, d, log
}

// TestQuorumNoStaleAndConverges: Dynamo's (3, 2, 2) with no faults never
// answers a read older than an acknowledged write, and every replica ends
// holding every acknowledged write.
func TestQuorumNoStaleAndConverges(t *testing.T) {
	w, d, log := dataWorld(t, Leaderless, 20, 200, 0.5, Policy{}, nil)
	run(w, 30*sim.Second)
	w.Drain(10 * sim.Second)
	w.Eng.Run(w.Eng.Now() + 5*sim.Second)
	st := d.Stats()
	if st.Acked < 2000 || log.reads < 2000 {
		t.Fatalf("acked %d writes, %d reads: the workload did not run", st.Acked, log.reads)
	}
	if log.stale != 0 || st.StaleReads != 0 {
		t.Errorf("%d stale reads with R + W > N", log.stale)
	}
	if log.behind != 0 || d.Behind() != 0 {
		t.Errorf("%d (key, replica) pairs still behind after the run", d.Behind())
	}
	if uint64(log.converged) != st.Acked {
		t.Errorf("%d of %d acknowledged writes converged", log.converged, st.Acked)
	}
}

// TestReplicaLagMakesOneStale: with R = W = 1, a replica whose apply is
// slower than the write rate builds a backlog and its reads go stale;
// quorums on the same schedule stay fresh.
func TestReplicaLagMakesOneStale(t *testing.T) {
	for _, c := range []struct {
		name      string
		pol       Policy
		wantStale bool
	}{
		{"one", Policy{Read: 1, Write: 1}, true},
		{"quorum", Policy{}, false},
	} {
		w, d, log := dataWorld(t, Leaderless, 10, 200, 0.5, c.pol, nil)
		dataOf(w).LagData(w.Services[1].Replicas[2], 200*sim.Millisecond, 0)
		run(w, 20*sim.Second)
		if got := log.stale > 0; got != c.wantStale {
			t.Errorf("%s: %d stale reads of %d", c.name, log.stale, log.reads)
		}
		if c.name == "one" && d.Stats().StaleReads < 50 {
			t.Errorf("one: only %d stale reads behind a 200 ms lag", d.Stats().StaleReads)
		}
	}
}

// TestBacklogGrowsPastApplyCapacity: a replica applying one mutation per
// 10 ms receiving 100 writes/s of 150 falls behind linearly.
func TestBacklogGrowsPastApplyCapacity(t *testing.T) {
	w, d, log := dataWorld(t, Leaderless, 10, 150, 0, Policy{Read: 1, Write: 1}, nil)
	dataOf(w).LagData(w.Services[1].Replicas[1], 0, 10*sim.Millisecond)
	run(w, 20*sim.Second)
	// 150/s arrive, 100/s are applied: about 50/s pile up, 1000 in 20 s.
	if q := d.Queued(); q < 700 || q > 1300 {
		t.Errorf("backlog %d after 20 s, want about 1000", q)
	}
	if log.maxQueue < d.Queued() {
		t.Errorf("backlog notifications saw at most %d, now %d", log.maxQueue, d.Queued())
	}
}

// TestReadRepairConvergesInvolved: one replica holds a newer value the
// others lack; a blocking ALL read returns it and writes it back, so
// every replica read from holds it when the read answers.
func TestReadRepairConvergesInvolved(t *testing.T) {
	for _, rr := range []ReadRepair{RepairBlocking, RepairNone} {
		w, d, _ := dataWorld(t, Leaderless, 1, 1, 1, Policy{Read: -1, ReadRepair: rr}, nil)
		db := w.Services[1].Replicas
		d.Put(db[0], 0, 7)
		run(w, 10*sim.Second)
		held := 0
		for _, r := range db {
			if d.Version(r, 0) == 7 {
				held++
			}
		}
		switch {
		case rr == RepairBlocking && (held != 3 || d.Behind() != 0 || d.Stats().ReadRepairs != 2):
			t.Errorf("blocking: %d replicas hold the newest value, %d pairs behind, %d repairs; want 3, 0, 2", held, d.Behind(), d.Stats().ReadRepairs)
		case rr == RepairNone && held != 1:
			t.Errorf("none: %d replicas hold the newest value, want only the one it was put on", held)
		}
	}
}

// TestPrimaryReplicaReads: reads from the primary are never stale; reads
// from replicas behind a replication lag are.
func TestPrimaryReplicaReads(t *testing.T) {
	for _, c := range []struct {
		from      ReadFrom
		wantStale bool
	}{{FromPrimary, false}, {FromReplica, true}} {
		w, d, log := dataWorld(t, Primary, 10, 200, 0.5, Policy{ReadFrom: c.from}, func(s *Spec) {
			s.Lag = sim.Constant{V: 0.1}
		})
		run(w, 20*sim.Second)
		if got := log.stale > 0; got != c.wantStale {
			t.Errorf("read from %d: %d stale of %d reads", c.from, log.stale, log.reads)
		}
		if d.Stats().Acked < 1500 {
			t.Errorf("read from %d: %d writes acknowledged", c.from, d.Stats().Acked)
		}
		for _, l := range log.lags {
			if l < 100*sim.Millisecond {
				t.Fatalf("a replica applied a write %v after its commit, inside the 100 ms lag", l)
			}
		}
	}
}

// TestPrimaryReplicaCrashRefetches: a replica that crashes loses its
// queued log entries and re-fetches them from its applied position when
// it restarts; a partitioned one reconnects after the heal. Both end
// caught up.
func TestPrimaryReplicaCrashRefetches(t *testing.T) {
	w, d, _ := dataWorld(t, Primary, 10, 200, 0, Policy{}, func(s *Spec) { s.Lag = sim.Constant{V: 0.5} })
	db := w.Services[1].Replicas
	var restart, heal func()
	topologytest.At(w, 5*sim.Second, func() { restart = w.Crash(db[1]) })
	topologytest.At(w, 8*sim.Second, func() { restart() })
	topologytest.At(w, 5*sim.Second, func() { heal = w.Net.Cut(0, 2) })
	topologytest.At(w, 12*sim.Second, func() { heal() })
	run(w, 20*sim.Second)
	w.Eng.Run(30 * sim.Second)
	st := d.Stats()
	if st.MutationsLost == 0 {
		t.Errorf("the crash lost no queued entries (lag 500 ms at 200 writes/s)")
	}
	if d.Behind() != 0 {
		t.Errorf("%d (key, replica) pairs behind 10 s after the last write", d.Behind())
	}
}

// TestHintedHandoffAfterPartition: writes at ONE during a partition that
// cuts replica c off are hinted by the coordinators and replayed when it
// heals; without hints replica c stays behind.
func TestHintedHandoffAfterPartition(t *testing.T) {
	for _, hints := range []bool{true, false} {
		w, d, _ := dataWorld(t, Leaderless, 50, 100, 0, Policy{Read: 1, Write: 1, Hints: hints}, nil)
		var heal func()
		topologytest.At(w, 2*sim.Second, func() { heal = w.Net.Cut(2, 0) })
		topologytest.At(w, 2*sim.Second, func() { h := w.Net.Cut(2, 1); topologytest.At(w, 10*sim.Second, h) })
		topologytest.At(w, 10*sim.Second, func() { heal() })
		run(w, 12*sim.Second)
		w.Drain(sim.Second)
		w.Eng.Run(40 * sim.Second)
		st := d.Stats()
		if hints && (st.HintsStored == 0 || st.HintsDelivered != st.HintsStored || d.Behind() != 0) {
			t.Errorf("hints: stored %d delivered %d, %d pairs behind; want all delivered and none behind", st.HintsStored, st.HintsDelivered, d.Behind())
		}
		if !hints && d.Behind() == 0 {
			t.Errorf("without hints replica c caught up with nothing to repair it")
		}
	}
}

// TestQuorumSize: Cassandra QUORUM = ⌊RF/2⌋+1 (reconcile-slo.md §3.1);
// levels above RF and ALL ask every replica.
func TestQuorumSize(t *testing.T) {
	for _, c := range []struct{ level, rf, want int }{
		{0, 1, 1}, {0, 2, 2}, {0, 3, 2}, {0, 4, 3}, {0, 5, 3}, {0, 6, 4}, {0, 7, 4},
		{1, 3, 1}, {2, 3, 2}, {-1, 3, 3}, {-1, 5, 5},
	} {
		if got := Needed(c.level, c.rf); got != c.want {
			t.Errorf("Needed(%d, RF %d) = %d, want %d", c.level, c.rf, got, c.want)
		}
	}
}

// oneSync is a repairer that makes one exchange with peer 1 as soon as it
// starts (only replica 0's does).
type oneSync struct{ act RepairAction }

func (o *oneSync) Step(_ sim.Time, v RepairView, ev RepairEvent, out []RepairAction) []RepairAction {
	if ev.Kind == RepairStart && v.Self() == 0 {
		return append(out, o.act)
	}
	return out
}

// TestMerkleStreamsOneLeaf: one damaged key among 65 536 in a range is
// found by descending one path of a depth-11 tree (2 hashes per level
// below the root), and its whole leaf — 65 536/2¹¹ = 32 keys — streams,
// as Cassandra streams one leaf's worth (about 30 partitions of 1 M at
// depth 15, reconcile-slo.md §3.2). A flat checksum per 1000 keys streams
// the whole chunk.
func TestMerkleStreamsOneLeaf(t *testing.T) {
	for _, c := range []struct {
		method       RepairMethod
		keys, hashes int
	}{{RepairMerkle, 32, 1 + 2*11 + 1}, {RepairChecksum, 1000, 66 + 66}} {
		spec := worldSpec{
			Places:   []topology.Place{{Region: "r", Zone: "a"}},
			Network:  topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}},
			Services: []topology.ServiceSpec{{Name: "db", Replicas: 2, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}}},
			State:    &state.Spec{Control: state.ControlPlaneSpec{Service: -1}},
			Data:     &Spec{Service: 0, Mode: Leaderless, Keys: 1 << 17, RF: 2, Size: 100},
		}
		w, _ := build(t, spec)
		act := RepairAction{Kind: RepairSync, Peer: 1, Method: c.method, Depth: 11, ChunkKeys: 1000, Push: true, HashSize: 32, Throughput: 1e9}
		if err := dataOf(w).Configure(Policy{}, func(*rand.Rand) Repairer { return &oneSync{act} }); err != nil {
			t.Fatal(err)
		}
		d, _ := Of(w)
		d.Put(w.Replicas[0], 12345, 9) // in the first range, [0, 65 536)
		run(w, 5*sim.Second)
		st := d.Stats()
		if streamed := int(st.SyncStreamBytes / 100); streamed != c.keys {
			t.Errorf("method %d: %d keys streamed, want %d", c.method, streamed, c.keys)
		}
		// Both ranges are shared (RF 2 of 2); the undamaged one costs its root.
		if hashes := int(st.SyncHashBytes / 64); hashes != c.hashes {
			t.Errorf("method %d: %d hashes compared, want %d", c.method, hashes, c.hashes)
		}
		if st.KeysRepaired != 1 || d.Version(w.Replicas[1], 12345) != 9 || d.Behind() != 0 {
			t.Errorf("method %d: %d keys repaired, replica 1 holds version %d", c.method, st.KeysRepaired, d.Version(w.Replicas[1], 12345))
		}
	}
}

// TestSloppyQuorumStandIn: with replica c down, Dynamo's sloppy quorum
// writes to the next node on the ring, which keeps a hinted copy (readable)
// and hands it to the home when it is back; a strict quorum has fewer
// homes than W and fails the write.
func TestSloppyQuorumStandIn(t *testing.T) {
	for _, sloppy := range []bool{true, false} {
		spec := worldSpec{
			Places:  []topology.Place{{Region: "r", Zone: "a"}},
			Network: topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}},
			Services: []topology.ServiceSpec{
				{Name: "api", Replicas: 1, Concurrency: 8, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}},
				{Name: "db", Replicas: 4, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}},
			},
			Clients: []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Constant, Rate: topology.RateProfile{{At: 0, Rate: 10}}, Callers: 1}},
			State:   &state.Spec{Control: state.ControlPlaneSpec{Service: -1}},
			Data:    &Spec{Service: 1, Mode: Leaderless, Keys: 4, RF: 3, Size: 100, Workload: []Workload{{Client: 0, Fraction: 1, Reads: 0}}},
		}
		w, _ := build(t, spec)
		if err := dataOf(w).Configure(Policy{Write: -1, Sloppy: sloppy, Hints: true}, nil); err != nil {
			t.Fatal(err)
		}
		d, _ := Of(w)
		db := w.Services[1].Replicas
		var restart func()
		topologytest.At(w, 0, func() { restart = w.Crash(db[2]) })
		topologytest.At(w, 10*sim.Second, func() { restart() })
		run(w, 10*sim.Second)
		st := d.Stats()
		w.Eng.Run(40 * sim.Second)
		if sloppy {
			// Keys 0–2 have db-2 as a home; db-3 (or db-0) stands in.
			if st.WritesFailed != 0 || st.HintsStored == 0 || d.Stats().HintsDelivered != st.HintsStored || d.Behind() != 0 {
				t.Errorf("sloppy: %d writes failed, %d hints stored, %d delivered, %d pairs behind; want 0, some, all, 0",
					st.WritesFailed, st.HintsStored, d.Stats().HintsDelivered, d.Behind())
			}
		} else if st.WritesFailed == 0 || st.Acked == 0 {
			t.Errorf("strict ALL: %d writes failed, %d acknowledged; want the keys homed on db-2 to fail and the others to succeed", st.WritesFailed, st.Acked)
		}
	}
}

// TestDataPathAllocations: once warm, requests' quorum reads and writes
// (coordination, messages, apply queues, read repair) allocate nothing.
func TestDataPathAllocations(t *testing.T) {
	w, d, _ := dataWorld(t, Leaderless, 100, 500, 0.5, Policy{}, nil)
	dataOf(w).LagData(w.Services[1].Replicas[2], 20*sim.Millisecond, 0) // read repairs happen
	w.Start(sim.Hour)
	w.Eng.Run(20 * sim.Second)
	until := w.Eng.Now()
	allocs := testing.AllocsPerRun(5, func() {
		until += sim.Second
		w.Eng.Run(until)
	})
	if d.Stats().ReadRepairs == 0 {
		t.Fatal("no read repairs: the test does not cover them")
	}
	// About 500 requests and 2 500 data messages per simulated second.
	if allocs > 10 {
		t.Errorf("%.0f allocations per simulated second of 500 data requests/s", allocs)
	}
}

// TestSkewedClockLosesUpdates: last write wins orders writes by the
// coordinators' wall clocks, so a coordinator whose clock is 10 s behind
// writes versions older than writes acknowledged before it issued its
// own: acknowledged, yet overridden at once — lost updates (Kingsbury,
// "The trouble with timestamps", 2013). With correct clocks there are none.
func TestSkewedClockLosesUpdates(t *testing.T) {
	for _, skew := range []bool{false, true} {
		w, d, _ := dataWorld(t, Leaderless, 5, 200, 0, Policy{}, nil)
		if skew {
			state.Of(w).JumpClock(state.Of(w).NodeOf(w.Services[0].Replicas[1]), -10*sim.Second)
		}
		run(w, 20*sim.Second)
		lost := d.Stats().LostUpdates
		if skew && (lost < 100 || state.Of(w).Stats.LostUpdates != lost) {
			t.Errorf("skewed: %d data lost updates (state model counts %d), want many, counted in both", lost, state.Of(w).Stats.LostUpdates)
		}
		if !skew && lost != 0 {
			t.Errorf("correct clocks: %d lost updates", lost)
		}
	}
}

// TestRepairPeersShareRanges: a replica's anti-entropy peers are exactly
// the replicas it shares a key range with, each once.
func TestRepairPeersShareRanges(t *testing.T) {
	for _, c := range []struct{ d, rf int }{{6, 3}, {4, 3}, {5, 2}, {3, 3}, {7, 1}} {
		ds := &datastore{spec: Spec{Mode: Leaderless}, rf: c.rf, nodes: make([]*dataNode, c.d)}
		for i := range ds.nodes {
			ds.nodes[i] = &dataNode{idx: int32(i)}
		}
		for i := range ds.nodes {
			v := repairView{ds, ds.nodes[i]}
			got := map[int32]bool{}
			for j := 0; j < v.Peers(); j++ {
				p := v.Peer(j)
				if got[p] || p == int32(i) {
					t.Fatalf("d=%d rf=%d: replica %d lists peer %d twice or itself", c.d, c.rf, i, p)
				}
				got[p] = true
			}
			for p := 0; p < c.d; p++ {
				share := false
				for r := int32(0); r < int32(c.d); r++ {
					share = share || (p != i && ds.shares(int32(i), int32(p), r))
				}
				if share != got[int32(p)] {
					t.Errorf("d=%d rf=%d: replica %d shares a range with %d: %v, listed: %v", c.d, c.rf, i, p, share, got[int32(p)])
				}
			}
		}
	}
}

// TestDataFeedsLagSensor: the replication-lag sensor reads the data
// layer's lag (pt-heartbeat style: the age of the oldest acknowledged
// write a region's replica lacks). A primary-mode replica 500 ms behind
// reads about 0.5 s; cut off from the primary it lags more every second;
// after the heal and its reconnect it is back near 0.5 s. The primary's
// region reads 0, a region without data replicas has no reading. Samples
// are taken every second whoever reads the sensor.
func TestDataFeedsLagSensor(t *testing.T) {
	ds := Spec{Service: 1, Mode: Primary, Keys: 50, RF: 2, Size: 1024,
		Lag:      sim.Constant{V: 0.5},
		Workload: []Workload{{Client: 0, Fraction: 1, Reads: 0}}}
	spec := worldSpec{
		Places:  []topology.Place{{Region: "east", Zone: "a"}, {Region: "west", Zone: "a"}, {Region: "south", Zone: "a"}},
		Network: topology.NetworkSpec{SameZone: sim.Constant{V: 0.001}, SameRegion: sim.Constant{V: 0.002}, CrossRegion: sim.Constant{V: 0.01}},
		Services: []topology.ServiceSpec{
			{Name: "api", Replicas: 3, Concurrency: 8, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1, 2}},
			{Name: "db", Replicas: 2, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.001}, Places: []topology.PlaceID{0, 1}},
		},
		Clients: []topology.ClientSpec{{Name: "c", Service: 0, Arrival: topology.Poisson, Rate: topology.RateProfile{{At: 0, Rate: 200}}, Callers: 3}},
		State:   &state.Spec{Control: state.ControlPlaneSpec{Store: 0, Service: -1}}, Data: &ds,
	}
	w, _ := build(t, spec)
	if err := dataOf(w).Configure(Policy{}, nil); err != nil {
		t.Fatal(err)
	}
	lag := map[string][]float64{}
	for s := 1; s <= 40; s++ { // half-way between samples: each reads the sample of second s
		topologytest.At(w, sim.Time(s)*sim.Second+LagSampleInterval/2, func() {
			for _, r := range []string{"east", "west", "south"} {
				l, ok := dataOf(w).ds.lag.Lag(w.Eng.Now(), r)
				v := l.Seconds()
				if !ok {
					v = -1
				}
				lag[r] = append(lag[r], v)
			}
		})
	}
	var heal func()
	topologytest.At(w, 10*sim.Second, func() { heal = w.Net.Cut(0, 1) })
	topologytest.At(w, 20*sim.Second, func() { heal() })
	run(w, 41*sim.Second)
	west := lag["west"]
	for _, s := range []int{5, 9, 35, 39} { // before the cut; well after the heal
		if l := west[s-1]; l < 0.45 || l > 0.6 {
			t.Errorf("west at %d s reads %.3f s, want about 0.5", s, l)
		}
	}
	for s := 12; s <= 19; s++ { // cut at 10 s: the oldest missing write is from about then
		if l, want := west[s-1], float64(s-10); l < want-0.1 || l > want+0.6 {
			t.Errorf("west at %d s, %d s into the cut, reads %.3f s", s, s-10, l)
		}
	}
	for i, l := range lag["east"] {
		if l != 0 {
			t.Fatalf("the primary's region reads %.3f s at %d s, want 0", l, i+1)
		}
	}
	if lag["south"][0] != -1 {
		t.Errorf("a region without data replicas reads %.3f s, want no reading", lag["south"][0])
	}
}
