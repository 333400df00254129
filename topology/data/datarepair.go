package data

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Anti-entropy: every data replica runs a Repairer (one per process; a
// restart starts a new one). It decides when to exchange with which peer
// and how to compare; the datastore carries the exchange out:
//
//  1. the initiator's request crosses the network to the peer;
//  2. the peer compares both replicas' checksums over every key range
//     they both replicate — a Merkle tree descended level by level from
//     the root, only into subtrees whose hashes differ (Dynamo §4.7;
//     Cassandra's trees, depth 15, combine children by XOR), or one flat
//     checksum per chunk of keys (pt-table-checksum) — and the values of
//     every key in a differing leaf or chunk are streamed (Cassandra
//     streams the whole leaf range: "overstreaming");
//  3. the exchange takes one round trip per tree level compared, plus
//     the streamed bytes at the stream throughput; then each side merges
//     what it received (last write wins) and the initiator hears it ended.
//
// A partition or a crash loses the exchange; the initiator gives up after
// syncTimeout. Hash and stream bytes are repair cost (State.Stats.RepairBytes).
// Both replicas' values are read when the request reaches the peer: the
// exchange compares snapshots of that moment.

// RepairMethod is how an exchange finds differing keys.
type RepairMethod uint8

const (
	// RepairMerkle descends Merkle trees of Depth levels over each shared
	// key range (Cassandra: depth 15, 32 768 leaves; a leaf holding a
	// single key is not split further, as Cassandra caps the depth by the
	// number of partitions).
	RepairMerkle RepairMethod = iota
	// RepairChecksum compares one checksum per ChunkKeys keys of each
	// shared range (Percona pt-table-checksum: --chunk-size 1000 rows) and
	// streams every key of a differing chunk.
	RepairChecksum
)

// RepairEventKind is what happened to a repairer.
type RepairEventKind uint8

const (
	RepairStart RepairEventKind = iota // the replica's process started
	RepairTimer                        // a timer set by RepairSetTimer fired
	RepairDone                         // an exchange it began ended (OK false: lost or timed out)
)

// RepairEvent is one input to a repairer.
type RepairEvent struct {
	Kind  RepairEventKind
	Timer int
	Peer  int32
	OK    bool
	Keys  int // keys that differed
}

// RepairActionKind is what a repairer asks for.
type RepairActionKind uint8

const (
	RepairSync     RepairActionKind = iota // exchange with Peer
	RepairSetTimer                         // fire Timer After from now (local monotonic time)
)

// RepairAction is one decision of a repairer.
type RepairAction struct {
	Kind      RepairActionKind
	Peer      int32 // index among the data replicas
	Method    RepairMethod
	Depth     int  // Merkle: tree depth
	ChunkKeys int  // checksum: keys per chunk
	Push      bool // the initiator sends its values of differing keys
	Pull      bool // the peer sends its values of differing keys
	HashSize  int  // bytes per hash exchanged (Cassandra: 32)
	// Throughput is the streaming rate in bytes/s (Cassandra
	// stream_throughput_outbound: 24 MiB/s).
	Throughput float64
	Timer      int // 0..3
	After      sim.Time
}

// RepairView is what a repairer sees: its replica and the peers it shares
// key ranges with.
type RepairView interface {
	Self() int32
	Peers() int
	Peer(i int) int32
}

// Repairer is a data replica's anti-entropy loop. The world feeds it
// events and applies the actions it returns (appended to out).
type Repairer interface {
	Step(now sim.Time, v RepairView, ev RepairEvent, out []RepairAction) []RepairAction
}

// NewRepairer makes the repairer of one process of a data replica.
type NewRepairer func(rng *rand.Rand) Repairer

// syncTimeout is how long an initiator waits for an exchange to end before
// giving up (memberlist's TCPTimeout for a push-pull, 10 s), beyond the
// time the exchange itself needs.
const syncTimeout = 10 * sim.Second

// aeSync is one anti-entropy exchange in flight.
type aeSync struct {
	from, to   int32 // data replica indices
	act        RepairAction
	keys       []int32
	fromCells  []cell // what the initiator streams (push)
	toCells    []cell // what the peer streams (pull)
	done       bool
	expectDone sim.Time
	refs       int // tasks that refer to it; it is freed when the last has run or was discarded
}

type repairView struct {
	ds *datastore
	n  *dataNode
}

func (v repairView) Self() int32 { return v.n.idx }

// everyone reports whether every other replica shares a range with this
// one: full replication, or a ring so small that the N−1 neighbours on
// each side cover it.
func (v repairView) everyone() bool {
	d := len(v.ds.nodes)
	return v.ds.spec.Mode == Primary || 2*(v.ds.rf-1) >= d-1
}

func (v repairView) Peers() int {
	if v.everyone() {
		return len(v.ds.nodes) - 1
	}
	return 2 * (v.ds.rf - 1)
}

func (v repairView) Peer(i int) int32 {
	d := int32(len(v.ds.nodes))
	if v.everyone() {
		p := int32(i)
		if p >= v.n.idx {
			p++
		}
		return p
	}
	// The ring neighbours within N−1 positions on either side share a range.
	off := int32(i/2 + 1)
	if i%2 == 1 {
		off = -off
	}
	return (v.n.idx + off + d) % d
}

// startRepairer starts a replica's repairer for a new process.
func (ds *datastore) startRepairer(n *dataNode) {
	if ds.newRepairer == nil {
		return
	}
	n.starts++
	n.repairer = ds.newRepairer(sim.NewStream(ds.w.Seed, "repair/"+n.node.Name+"/"+itoa(n.starts)))
	ds.repair(n, RepairEvent{Kind: RepairStart})
}

// repair feeds one event to n's repairer and applies its actions.
func (ds *datastore) repair(n *dataNode, ev RepairEvent) {
	if n.repairer == nil {
		return
	}
	now := ds.w.Eng.Now()
	n.rout = n.repairer.Step(n.node.Clock.Mono(now), repairView{ds, n}, ev, n.rout[:0])
	for _, a := range n.rout {
		switch a.Kind {
		case RepairSetTimer:
			if a.Timer < 0 || a.Timer >= len(n.rTimer) {
				continue
			}
			n.rTimer[a.Timer]++
			ds.tasks.At(now+n.node.Clock.Real(now, a.After), dataTask{a: dRepTimer, node: n.node.ID, key: int32(a.Timer), gen: n.rTimer[a.Timer]})
		case RepairSync:
			if a.Peer < 0 || int(a.Peer) >= len(ds.nodes) || a.Peer == n.idx {
				continue
			}
			ds.beginSync(n, a)
		}
	}
}

func (ds *datastore) repairTimer(t *dataTask) {
	n := ds.nodeOf(t.node)
	if t.gen != n.rTimer[t.key] {
		return
	}
	ds.repair(n, RepairEvent{Kind: RepairTimer, Timer: int(t.key)})
}

// beginSync sends an exchange request from n to its peer.
func (ds *datastore) beginSync(n *dataNode, a RepairAction) {
	if a.HashSize <= 0 {
		a.HashSize = 32
	}
	if a.Throughput <= 0 {
		a.Throughput = 24 << 20
	}
	if a.Depth <= 0 {
		a.Depth = 15
	}
	if a.ChunkKeys <= 0 {
		a.ChunkKeys = 1000
	}
	ds.Stats.Syncs++
	idx, sy := ds.syncs.Alloc()
	keys, fc, tc := sy.keys[:0], sy.fromCells[:0], sy.toCells[:0]
	*sy = aeSync{from: n.idx, to: a.Peer, act: a, keys: keys, fromCells: fc, toCells: tc}
	ref := ds.syncs.Ref(idx)
	now := ds.w.Eng.Now()
	peer := ds.nodes[a.Peer]
	ds.syncTask(now+syncTimeout, dataTask{a: dSyncTimeout, node: n.node.ID, ref: ref})
	if ds.send(n.node.Place, peer.node.ID, dataTask{a: dSyncReq, ref: ref}) {
		sy.refs++
	}
}

// syncTask schedules a task that refers to an exchange.
func (ds *datastore) syncTask(at sim.Time, t dataTask) {
	if sy := ds.syncs.Get(t.ref); sy != nil {
		sy.refs++
	}
	ds.tasks.At(at, t)
}

// syncUnref is called when a task referring to an exchange has run or was
// discarded with its process: the last frees the record.
func (ds *datastore) syncUnref(ref topology.Ref) {
	sy := ds.syncs.Get(ref)
	if sy == nil {
		return
	}
	if sy.refs--; sy.refs > 0 {
		return
	}
	keys, fc, tc := sy.keys[:0], sy.fromCells[:0], sy.toCells[:0]
	ds.syncs.Free(ref)
	sy.keys, sy.fromCells, sy.toCells = keys, fc, tc
}

// syncReq is an exchange request reaching the peer: compare, then stream.
func (ds *datastore) syncReq(t *dataTask) {
	sy := ds.syncs.Get(t.ref)
	if sy == nil || sy.done {
		return
	}
	a, b := ds.nodes[sy.from], ds.nodes[sy.to]
	hashes, rounds := ds.compare(a, b, sy)
	act := sy.act
	dirs := 0
	for _, k := range sy.keys {
		if act.Push {
			sy.fromCells = append(sy.fromCells, a.cells[k])
		}
		if act.Pull {
			sy.toCells = append(sy.toCells, b.cells[k])
		}
	}
	if act.Push {
		dirs++
	}
	if act.Pull {
		dirs++
	}
	hashBytes := uint64(hashes * 2 * act.HashSize)
	streamBytes := uint64(len(sy.keys) * ds.spec.Size * dirs)
	ds.Stats.SyncHashBytes += hashBytes
	ds.Stats.SyncStreamBytes += streamBytes
	ds.s.Stats.RepairBytes += hashBytes + streamBytes
	now := ds.w.Eng.Now()
	net := ds.w.Net
	rtt := net.Latency(a.node.Place, b.node.Place) + net.Latency(b.node.Place, a.node.Place)
	back, ok := net.Transit(b.node.Place, a.node.Place)
	if !ok {
		return // the answer is lost: the initiator times out
	}
	dur := sim.Time(rounds-1)*rtt + back + sim.Time(float64(streamBytes)/act.Throughput*float64(sim.Second))
	end := now + dur
	sy.expectDone = end
	if act.Push && len(sy.keys) > 0 {
		ds.syncTask(end, dataTask{a: dSyncApply, node: b.node.ID, ref: t.ref, flag: true})
	}
	if act.Pull && len(sy.keys) > 0 {
		ds.syncTask(end, dataTask{a: dSyncApply, node: a.node.ID, ref: t.ref})
	}
	ds.syncTask(end, dataTask{a: dSyncDone, node: a.node.ID, ref: t.ref})
}

// compare finds the keys that differ between a and b over the key ranges
// both replicate, appending them to sy.keys; it returns the hashes each
// side sent and the round trips the comparison took.
func (ds *datastore) compare(a, b *dataNode, sy *aeSync) (hashes, rounds int) {
	act := sy.act
	for r := int32(0); r < int32(len(ds.nodes)); r++ {
		if !ds.shares(a.idx, b.idx, r) {
			continue
		}
		lo, hi := ds.rstart[r], ds.rstart[r+1]
		if lo == hi {
			continue
		}
		if act.Method == RepairChecksum {
			rounds = max(rounds, 1)
			for c := lo; c < hi; c += int32(act.ChunkKeys) {
				e := min(c+int32(act.ChunkKeys), hi)
				hashes++
				if a.rangeHash(c, e) != b.rangeHash(c, e) {
					for k := c; k < e; k++ {
						sy.keys = append(sy.keys, k)
					}
				}
			}
			continue
		}
		h, d := ds.descend(a, b, lo, hi, 0, act.Depth, sy)
		hashes += h
		rounds = max(rounds, d)
	}
	return hashes, max(rounds, 1)
}

// descend compares the Merkle subtree over keys [lo, hi) at level l: one
// hash each, and the two children when they differ. It returns the hashes
// compared and the deepest level reached (1-based: round trips).
func (ds *datastore) descend(a, b *dataNode, lo, hi int32, l, depth int, sy *aeSync) (int, int) {
	if a.rangeHash(lo, hi) == b.rangeHash(lo, hi) {
		return 1, l + 1
	}
	if l == depth || hi-lo <= 1 {
		for k := lo; k < hi; k++ {
			sy.keys = append(sy.keys, k)
		}
		return 1, l + 1
	}
	mid := lo + (hi-lo)/2
	h1, d1 := ds.descend(a, b, lo, mid, l+1, depth, sy)
	h2, d2 := ds.descend(a, b, mid, hi, l+1, depth, sy)
	return 1 + h1 + h2, max(d1, d2)
}

// syncApply is streamed values reaching one side of an exchange: the peer
// (flag: the initiator's pushed values) or the initiator (the peer's).
func (ds *datastore) syncApply(t *dataTask) {
	sy := ds.syncs.Get(t.ref)
	if sy == nil {
		return
	}
	dst, cells := ds.nodes[sy.from], sy.toCells
	if t.flag {
		dst, cells = ds.nodes[sy.to], sy.fromCells
	}
	for i, k := range sy.keys {
		if ds.merge(dst, k, cells[i]) {
			ds.Stats.KeysRepaired++
			ds.s.Stats.Repairs++
			ds.s.Stats.RepairsApplied++
		}
	}
}

// syncDone ends an exchange at its initiator (ok false: it timed out).
func (ds *datastore) syncDone(t *dataTask, ok bool) {
	sy := ds.syncs.Get(t.ref)
	if sy == nil || sy.done {
		return
	}
	if !ok && sy.expectDone > ds.w.Eng.Now() {
		// The exchange is still streaming: wait for it.
		ds.syncTask(sy.expectDone, dataTask{a: dSyncTimeout, node: t.node, ref: t.ref})
		return
	}
	sy.done = true
	if !ok {
		ds.Stats.SyncsFailed++
	}
	ds.repair(ds.nodes[sy.from], RepairEvent{Kind: RepairDone, Peer: sy.to, OK: ok, Keys: len(sy.keys)})
}
