package data

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// A request's data operation is a synchronous sub-operation of its
// answering attempt: when the serving replica finishes its own work it
// coordinates the read or write against the datastore — messages cross
// the network to the data replicas (partitions lose them), each replica's
// process answers (a paused one late, a crashed one never), and the
// coordinator waits for its quorum or its timeout. Only then does the
// response leave for the caller, so network latency and quorum waits are
// part of the client's latency. The attempt does not hold a service slot
// while it waits (an asynchronous driver, as the Cassandra and DynamoDB
// clients are).

// ReadRepair is what a coordinator does when the replicas it read from
// disagree.
type ReadRepair uint8

const (
	// RepairBlocking: Cassandra 4.0's default (table option read_repair =
	// 'BLOCKING'): write the newest value back to the stale replicas
	// among those read and wait for them before answering, so quorum
	// reads are monotonic (cassandra.apache.org/doc/latest/operating/read_repair.html).
	RepairBlocking ReadRepair = iota
	// RepairAsync: send the repairs and answer at once (Dynamo §4.7:
	// the coordinator updates stale replicas after answering).
	RepairAsync
	// RepairNone: Cassandra's read_repair = 'NONE'.
	RepairNone
)

// ReadFrom is where a primary-mode store's reads go.
type ReadFrom uint8

const (
	FromPrimary ReadFrom = iota // the primary: reads see every committed write
	FromNearest                 // the closest live replica, primary included
	FromReplica                 // a random live replica other than the primary (read scaling)
)

// Policy is how coordinators use the datastore: the consistency
// levels, quorum kind, repair and caching a strategy chooses.
type Policy struct {
	// Read and Write are the replicas that must answer (R, W): 0 means a
	// quorum, ⌊N/2⌋+1 (Cassandra QUORUM); -1 means all N.
	Read, Write int
	// Sloppy is Dynamo's sloppy quorum: reads and writes go to the first N
	// live nodes on the ring, stand-ins keep hinted copies. Otherwise
	// (Cassandra) only the N home replicas count.
	Sloppy bool
	// Hints: coordinators keep hints for home replicas that are down or do
	// not acknowledge in time and replay them when they are back
	// (Cassandra hinted_handoff_enabled, true by default).
	Hints bool
	// HintWindow: no hints are written for a replica down longer than this
	// (Cassandra max_hint_window, 3 h).
	HintWindow sim.Time
	// HintThrottle: bytes per second a holder replays hints at (Cassandra
	// hinted_handoff_throttle, 1024 KiB/s).
	HintThrottle float64
	ReadRepair   ReadRepair
	// ReadTimeout and WriteTimeout: how long a coordinator waits for its
	// quorum (Cassandra read_request_timeout 5 s, write_request_timeout 2 s).
	ReadTimeout, WriteTimeout sim.Time
	ReadFrom                  ReadFrom // primary mode
	// CacheTTL > 0 puts a read-through cache in front of the store at each
	// coordinating replica: hits are answered from it until the entry is
	// CacheTTL old.
	CacheTTL sim.Time
	// Invalidate: every acknowledged write is followed by a delete of the
	// key broadcast to every cache (Facebook's memcache: "Scaling Memcache
	// at Facebook", NSDI 2013, mcsqueal deletes from the commit log); the
	// writer deletes its own entry either way (look-aside).
	Invalidate bool
}

// Defaults of Policy fields left zero.
const (
	DefaultReadTimeout  = 5 * sim.Second
	DefaultWriteTimeout = 2 * sim.Second
	DefaultHintWindow   = 3 * sim.Hour
	DefaultHintThrottle = 1024 * 1024.0 // bytes/s
	hintInterval        = 10 * sim.Second
)

func (p *Policy) fill() {
	if p.ReadTimeout <= 0 {
		p.ReadTimeout = DefaultReadTimeout
	}
	if p.WriteTimeout <= 0 {
		p.WriteTimeout = DefaultWriteTimeout
	}
	if p.HintWindow <= 0 {
		p.HintWindow = DefaultHintWindow
	}
	if p.HintThrottle <= 0 {
		p.HintThrottle = DefaultHintThrottle
	}
}

// Needed is the number of answers a level asks of n replicas (0: quorum,
// -1: all).
func Needed(level, n int) int {
	switch {
	case level == 0:
		return n/2 + 1
	case level < 0 || level > n:
		return n
	}
	return level
}

// dataOp is one coordination in flight.
type dataOp struct {
	job      topology.Ref // the attempt waiting for it (0: an operator's write)
	coord    int32        // coordinating node ID; -1: the store
	place    topology.PlaceID
	kind     OpKind
	key      int32
	c        cell  // the write; for reads the newest answer so far
	from     int32 // reads: target index that answered c
	schema   state.Version
	code     state.Version // the coordinator's code schema
	expect   uint64
	need     int
	got      int
	failed   int
	bad      bool // a replica rejected the operation for its schema
	corrupt  bool
	repairs  int // blocking read repairs outstanding
	done     bool
	targets  []int32 // data replica indices
	answered []uint8 // per target: 0 waiting, 1 answered/acked, 2 failed
	vers     []cell  // reads: each target's answer
	stand    []int32 // sloppy writes: the home each target stands in for (-1: a home)
	dead     []int32 // homes the coordinator found unavailable
}

const (
	waiting uint8 = iota
	answered
	refused
)

// alive reports whether a coordinator at place p believes data replica n
// can answer: its process runs and the network between them is not cut.
// (A perfect failure detector: Cassandra learns the same from gossip
// within seconds; a paused replica still looks alive.)
func (ds *datastore) alive(p topology.PlaceID, n *dataNode) bool {
	net := ds.w.Net
	return !n.node.Down() && net.Reachable(p, n.node.Place) && net.Reachable(n.node.Place, p)
}

// begin starts the data operation of attempt ref (j) at replica rep.
func (ds *datastore) begin(rep *topology.Replica, ref topology.Ref, j *topology.Job) {
	n := ds.s.Nodes[rep.ID]
	code := ds.s.CodeSchema(n)
	op := ds.jobData[ref.Slot()]
	if op.Kind == Read && ds.pol.CacheTTL > 0 {
		if c := ds.caches[rep.ID]; c != nil {
			now := ds.w.Eng.Now()
			if e := c.entries[op.Key]; e.valid && now < e.expires {
				ds.Stats.Reads++
				ds.Stats.CacheHits++
				ds.jobServed[ref.Slot()] = Served{Op: Read, Key: op.Key, Version: e.c.ver, Schema: e.schema, Cached: true}
				ds.answer(ref, j, e.c, code, e.schema, op.Expect)
				return
			}
			ds.Stats.CacheMisses++
		}
	}
	ds.coordinate(ref, n.ID, n.Place, op.Kind, op.Key, code, op.Expect)
}

// coordinate begins an operation coordinated by node coord (-1: the
// store) at place: it picks the replicas, sends them the request and sets
// the quorum timeout. job is the attempt waiting for it (0: none).
func (ds *datastore) coordinate(job topology.Ref, coord int32, place topology.PlaceID, kind OpKind, key int32, code state.Version, expect uint64) {
	s := ds.s
	now := ds.w.Eng.Now()
	idx, op := ds.ops.Alloc()
	targets, states, vers, stand, dead := op.targets[:0], op.answered[:0], op.vers[:0], op.stand[:0], op.dead[:0]
	*op = dataOp{job: job, coord: coord, place: place, kind: kind, key: key, code: code, expect: expect}
	ref := ds.ops.Ref(idx)
	if kind == Write {
		ds.Stats.Writes++
		op.expect = ds.acked[key] // the newest acknowledged when this write is issued
		op.c = cell{at: now, schema: code}
		if ds.spec.Mode == Leaderless {
			wall := now
			if coord >= 0 {
				wall = s.Nodes[coord].Clock.Wall(now)
			}
			op.c.ver = ds.version(wall)
		}
	} else {
		ds.Stats.Reads++
	}
	switch {
	case ds.spec.Mode == Primary:
		t := int32(0)
		if kind == Read {
			t = ds.readTarget(place)
		}
		if t >= 0 && ds.alive(place, ds.nodes[t]) {
			targets, stand = append(targets, t), append(stand, -1)
		}
		op.need = 1
	case ds.pol.Sloppy:
		// Dynamo §4.6: the first N healthy nodes of the key's preference
		// list; a stand-in beyond the N homes keeps a hint for a dead home.
		op.need = ds.level(kind)
		for j := 0; j < ds.rf; j++ {
			if h := ds.homeOf(key, j); !ds.alive(place, ds.nodes[h]) {
				dead = append(dead, h)
			}
		}
		next := 0
		for j := 0; j < len(ds.nodes) && len(targets) < ds.rf; j++ {
			h := ds.homeOf(key, j)
			if !ds.alive(place, ds.nodes[h]) {
				continue
			}
			home := int32(-1)
			if j >= ds.rf && kind == Write && next < len(dead) {
				home = dead[next]
				next++
			}
			targets, stand = append(targets, h), append(stand, home)
		}
	default:
		// Cassandra: the N home replicas; the coordinator hints the dead ones.
		op.need = ds.level(kind)
		for j := 0; j < ds.rf; j++ {
			h := ds.homeOf(key, j)
			if ds.alive(place, ds.nodes[h]) {
				targets, stand = append(targets, h), append(stand, -1)
			} else {
				dead = append(dead, h)
			}
		}
	}
	for range targets {
		states = append(states, waiting)
		vers = append(vers, cell{})
	}
	op.targets, op.answered, op.vers, op.stand, op.dead = targets, states, vers, stand, dead
	if len(targets) < op.need { // Cassandra's UnavailableException: fail before sending anything
		ds.finish(ref, op, false)
		return
	}
	if kind == Write && ds.spec.Mode == Leaderless && !ds.pol.Sloppy && ds.pol.Hints {
		for _, h := range dead {
			ds.addHint(coord, h, key, op.c)
		}
	}
	timeout, sub := ds.pol.ReadTimeout, dReadReq
	if kind == Write {
		timeout, sub = ds.pol.WriteTimeout, dWriteReq
	}
	ds.tasks.At(now+timeout, dataTask{a: dOpTimeout, node: coord, ref: ref})
	for i, t := range targets {
		ds.send(place, ds.nodes[t].node.ID, dataTask{a: sub, ref: ref, item: int32(i), key: key, c: op.c, ver: code, n: uint64(int64(stand[i]) + 1)})
	}
}

// level is the number of answers an operation of this kind needs.
func (ds *datastore) level(kind OpKind) int {
	if kind == Write {
		return Needed(ds.pol.Write, ds.rf)
	}
	return Needed(ds.pol.Read, ds.rf)
}

// releaseOp frees an operation's slot, keeping its buffers for the next.
func (ds *datastore) releaseOp(i uint32) {
	op, _ := ds.ops.At(int(i))
	t, a, v, s, d := op.targets[:0], op.answered[:0], op.vers[:0], op.stand[:0], op.dead[:0]
	ds.ops.Release(i)
	op.targets, op.answered, op.vers, op.stand, op.dead = t, a, v, s, d
}

// readTarget picks where a primary-mode read goes (-1: nowhere alive).
func (ds *datastore) readTarget(p topology.PlaceID) int32 {
	switch ds.pol.ReadFrom {
	case FromNearest:
		best, bestPrio, ties := int32(-1), 3, 0
		for _, n := range ds.nodes {
			if !ds.alive(p, n) {
				continue
			}
			prio := priority(ds.w, p, n.node.Place)
			switch {
			case prio < bestPrio:
				best, bestPrio, ties = n.idx, prio, 1
			case prio == bestPrio:
				ties++
				if ds.rng.IntN(ties) == 0 {
					best = n.idx
				}
			}
		}
		return best
	case FromReplica:
		best, ties := int32(-1), 0
		for _, n := range ds.nodes[1:] {
			if ds.alive(p, n) {
				ties++
				if ds.rng.IntN(ties) == 0 {
					best = n.idx
				}
			}
		}
		return best
	}
	return 0
}

// priority is 0 for the same place, 1 for the same region, 2 otherwise.
func priority(w *topology.World, a, b topology.PlaceID) int {
	switch {
	case a == b:
		return 0
	case w.Places[a].Region == w.Places[b].Region:
		return 1
	}
	return 2
}

// send puts a data message from place from on its way to state node to;
// a partition or an impaired link may lose it. It reports whether it left.
func (ds *datastore) send(from topology.PlaceID, to int32, t dataTask) bool {
	d, ok := ds.w.Net.Transit(from, ds.s.PlaceOf(to))
	if !ok {
		return false
	}
	t.node = to
	ds.tasks.At(ds.w.Eng.Now()+d, t)
	return true
}

// op returns the live operation ref refers to, or nil.
func (ds *datastore) op(ref topology.Ref) *dataOp {
	op := ds.ops.Get(ref)
	if op == nil || op.done {
		return nil
	}
	return op
}

// replyWrite is a replica's answer to a write reaching its coordinator.
func (ds *datastore) replyWrite(t *dataTask) {
	op := ds.op(t.ref)
	if op == nil || op.answered[t.item] != waiting {
		return
	}
	if t.flag {
		op.answered[t.item] = answered
		op.got++
		if t.c.corrupt && !op.corrupt {
			op.corrupt = true
			ds.Stats.CorruptWrites++
		}
		if ds.spec.Mode == Primary {
			op.c = t.c // the primary assigned the log position
			op.schema = t.ver
		} else if op.got == 1 {
			op.schema = t.ver
		}
		ds.nodes[op.targets[t.item]].deadSince = -1
		if op.got >= op.need {
			ds.finish(t.ref, op, true)
		}
		return
	}
	op.answered[t.item] = refused
	op.failed++
	if t.a == dWriteNack {
		op.bad = true
	}
	if len(op.targets)-op.failed < op.need {
		ds.finish(t.ref, op, false)
	}
}

// replyRead is a replica's answer to a read reaching its coordinator.
func (ds *datastore) replyRead(t *dataTask) {
	op := ds.op(t.ref)
	if op == nil {
		return
	}
	if op.repairs > 0 && t.a == dRepairAck { // a blocking read repair acknowledged
		op.repairs--
		if op.repairs == 0 {
			ds.finish(t.ref, op, true)
		}
		return
	}
	if t.a == dRepairAck || op.answered[t.item] != waiting || op.got >= op.need {
		return
	}
	op.answered[t.item] = answered
	op.vers[t.item] = t.c
	if op.got == 0 || t.c.newer(op.c) {
		op.c, op.from, op.schema = t.c, t.item, t.ver
	}
	op.got++
	ds.nodes[op.targets[t.item]].deadSince = -1
	if op.got < op.need {
		return
	}
	// The quorum has answered. Read repair among the replicas read.
	if ds.pol.ReadRepair != RepairNone && op.need > 1 {
		for i, st := range op.answered {
			if st != answered || !op.c.newer(op.vers[i]) {
				continue
			}
			ds.Stats.ReadRepairs++
			ds.s.Stats.Repairs++
			ds.s.Stats.RepairBytes += uint64(ds.spec.Size)
			if ds.pol.ReadRepair == RepairBlocking {
				op.repairs++
			}
			ds.send(op.place, ds.nodes[op.targets[i]].node.ID, dataTask{a: dRepairReq, ref: t.ref, item: int32(i), key: op.key, c: op.c})
		}
	}
	if op.repairs == 0 {
		ds.finish(t.ref, op, true)
	}
}

// timeout is a coordinator giving up on its quorum.
func (ds *datastore) timeout(t *dataTask) {
	op := ds.op(t.ref)
	if op == nil {
		return
	}
	if op.kind == Write && ds.spec.Mode == Leaderless && ds.pol.Hints && op.got < len(op.targets) {
		// Cassandra writes hints for replicas that did not acknowledge in time.
		for i, st := range op.answered {
			if st == waiting && op.stand[i] < 0 {
				ds.addHint(op.coord, op.targets[i], op.key, op.c)
			}
		}
	}
	if op.repairs > 0 && op.got >= op.need { // blocking repairs did not all answer: answer anyway
		ds.finish(t.ref, op, true)
		return
	}
	ds.finish(t.ref, op, false)
}

// finish ends an operation: the bookkeeping of acknowledged writes and
// reads, caches, and the answer to the waiting attempt.
func (ds *datastore) finish(ref topology.Ref, op *dataOp, ok bool) {
	op.done = true
	now := ds.w.Eng.Now()
	if op.kind == Write {
		if ok {
			ds.Stats.Acked++
			if op.c.ver < op.expect { // last write wins let an earlier-acknowledged write override it
				ds.Stats.LostUpdates++
				ds.s.Stats.LostUpdates++
			}
			if op.c.ver > ds.acked[op.key] {
				ds.acked[op.key] = op.c.ver
			}
			ds.track(op.key, op.c.ver, now)
			ds.invalidate(op)
		} else {
			ds.Stats.WritesFailed++
			if op.bad {
				ds.Stats.SchemaFailures++
			}
		}
	} else if !ok {
		ds.Stats.ReadsFailed++
	}
	if op.job != 0 {
		if j := ds.w.Job(op.job); j != nil {
			if ok && op.kind == Read && op.coord >= 0 {
				if c := ds.caches[op.coord]; c != nil && ds.pol.CacheTTL > 0 {
					c.entries[op.key] = cacheEntry{c: op.c, schema: op.schema, expires: now + ds.pol.CacheTTL, valid: true}
				}
			}
			ds.jobServed[op.job.Slot()] = Served{Op: op.kind, Key: op.key, Version: op.c.ver, Schema: op.schema, Corrupt: op.corrupt}
			switch {
			case ok && op.kind == Read:
				ds.answer(op.job, j, op.c, op.code, op.schema, op.expect)
			case ok:
				ds.w.Answer(op.job, topology.Success, topology.CauseNone)
			case op.bad:
				ds.w.Answer(op.job, topology.Error, topology.CauseSchema)
			default:
				ds.w.Answer(op.job, topology.Error, topology.CauseDataUnavailable)
			}
		}
	}
	ds.releaseOp(uint32(ref.Slot()))
}

// answer completes a read of c for attempt j: the reader's schema judges
// the row, staleness is judged against the version expected at arrival.
func (ds *datastore) answer(ref topology.Ref, j *topology.Job, c cell, code, schema state.Version, expect uint64) {
	sv := &ds.jobServed[ref.Slot()]
	sv.Version = c.ver
	if ds.s.ReadCompat(code, schema, c.schema) == state.CompatFail {
		ds.Stats.SchemaFailures++
		ds.Stats.ReadsFailed++
		ds.w.Answer(ref, topology.Error, topology.CauseSchema)
		return
	}
	if c.corrupt {
		sv.Corrupt = true
		ds.Stats.CorruptReads++
	}
	if c.ver < expect {
		sv.Stale = true
		ds.Stats.StaleReads++
	}
	ds.w.Answer(ref, topology.Success, topology.CauseNone)
}

// coordinatorCrashed fails the operations node n was coordinating: its
// callers see the connection reset.
func (ds *datastore) coordinatorCrashed(n *state.Node) {
	for i := range ds.ops.Len() {
		op, live := ds.ops.At(i)
		if !live {
			continue
		}
		if op.done || op.coord != n.ID {
			continue
		}
		op.done = true
		if op.kind == Write {
			ds.Stats.WritesFailed++
		} else {
			ds.Stats.ReadsFailed++
		}
		if op.job != 0 {
			ds.w.Answer(op.job, topology.Dropped, topology.CauseHostDown)
		}
		ds.releaseOp(uint32(i))
	}
	if c := ds.caches[n.ID]; c != nil { // a cache is volatile
		clear(c.entries)
	}
}

// addHint stores a hint at holder (a state node ID, -1 the store) for data
// replica target, unless the target has been unavailable longer than the
// hint window.
func (ds *datastore) addHint(holder, target, k int32, c cell) {
	now := ds.w.Eng.Now()
	tn := ds.nodes[target]
	if tn.deadSince < 0 {
		tn.deadSince = now
	}
	if now-tn.deadSince > ds.pol.HintWindow {
		ds.Stats.HintsDropped++
		return
	}
	slot := ds.hintSlot(holder)
	ds.hints[slot] = append(ds.hints[slot], hint{target: target, key: k, c: c})
	ds.Stats.HintsStored++
	if !ds.hinted[slot] {
		ds.hinted[slot] = true
		ds.tasks.At(now+hintInterval, dataTask{a: dHintTick, node: holder})
	}
}

func (ds *datastore) hintSlot(holder int32) int {
	if ds.hints == nil {
		ds.hints = make([][]hint, len(ds.s.Nodes)+1)
		ds.hinted = make([]bool, len(ds.s.Nodes)+1)
	}
	if holder < 0 {
		return len(ds.s.Nodes)
	}
	return int(holder)
}

// hintTick is a holder's hint dispatcher (Cassandra checks every
// hints_flush_period, 10 s): hints for replicas that are back are
// replayed, paced by the throttle; the rest wait.
func (ds *datastore) hintTick(holder int32) {
	slot := ds.hintSlot(holder)
	now := ds.w.Eng.Now()
	place := ds.s.PlaceOf(holder)
	pace := sim.Time(float64(ds.spec.Size) / ds.pol.HintThrottle * float64(sim.Second))
	at := now
	for i := range ds.hints[slot] {
		h := &ds.hints[slot][i]
		if h.inflight && now-h.sentAt < hintInterval {
			continue
		}
		tn := ds.nodes[h.target]
		if !ds.alive(place, tn) {
			continue
		}
		tn.deadSince = -1
		h.inflight, h.sentAt = true, now
		at += pace
		ds.s.Stats.Repairs++
		ds.s.Stats.RepairBytes += uint64(ds.spec.Size)
		ds.tasks.At(at, dataTask{a: dHintSend, node: holder, item: h.target, key: h.key, c: h.c})
	}
	if len(ds.hints[slot]) == 0 {
		ds.hinted[slot] = false
		return
	}
	ds.tasks.At(now+hintInterval, dataTask{a: dHintTick, node: holder})
}

// hintSend replays one hint from its holder.
func (ds *datastore) hintSend(t *dataTask) {
	tn := ds.nodes[t.item]
	ds.send(ds.s.PlaceOf(t.node), tn.node.ID, dataTask{a: dHintReq, key: t.key, c: t.c, item: t.node})
}

// hintAcked drops a replayed hint its target acknowledged.
func (ds *datastore) hintAcked(holder, target, k int32, c cell) {
	slot := ds.hintSlot(holder)
	hs := ds.hints[slot]
	for i := range hs {
		if hs[i].target == target && hs[i].key == k && hs[i].c.ver == c.ver {
			ds.hints[slot] = append(hs[:i], hs[i+1:]...)
			ds.Stats.HintsDelivered++
			ds.s.Stats.RepairsApplied++
			return
		}
	}
}

// cache is a coordinating replica's read-through cache of the store.
type cache struct {
	entries []cacheEntry // per key
	loss    []float64    // invalidation-loss faults in force: probabilities
}

type cacheEntry struct {
	c       cell
	schema  state.Version
	expires sim.Time
	valid   bool
}

// invalidate deletes an acknowledged write's key from the writer's cache
// and, with invalidation on, broadcasts the delete to every other cache.
func (ds *datastore) invalidate(op *dataOp) {
	if ds.pol.CacheTTL <= 0 {
		return
	}
	if op.coord >= 0 {
		if c := ds.caches[op.coord]; c != nil {
			c.entries[op.key].valid = false
		}
	}
	if !ds.pol.Invalidate {
		return
	}
	for _, n := range ds.users {
		if n.ID == op.coord {
			continue
		}
		ds.Stats.Invalidations++
		if !ds.send(op.place, n.ID, dataTask{a: dInvalidate, key: op.key}) {
			ds.Stats.InvalidationsLost++
		}
	}
}

// invalidated is a delete reaching a cache: a fault may lose it there.
func (ds *datastore) invalidated(n *state.Node, k int32) {
	c := ds.caches[n.ID]
	keep := 1.0
	for _, p := range c.loss {
		keep *= 1 - p
	}
	if keep < 1 && ds.rng.Float64() >= keep {
		ds.Stats.InvalidationsLost++
		return
	}
	c.entries[k].valid = false
}

// LoseInvalidations makes cache invalidations reaching replica rep's cache
// vanish with probability p until the returned function is called (a
// broken purge pipeline, a subscriber that dropped its stream; nests).
func (d Datastore) LoseInvalidations(rep *topology.Replica, p float64) (restore func()) {
	if d.ds.caches[rep.ID] == nil {
		return func() {}
	}
	c := d.ds.caches[rep.ID]
	c.loss = append(c.loss, p)
	return topology.Once(func() {
		for i, q := range c.loss {
			if q == p {
				c.loss = append(c.loss[:i], c.loss[i+1:]...)
				return
			}
		}
	})
}

// update is an operator's scheduled write.
func (ds *datastore) update(i int) {
	u := ds.spec.Updates[i]
	now := ds.w.Eng.Now()
	ds.coordinate(0, -1, ds.s.StorePlace(), Write, int32(u.Key), 0, 0)
	if u.Every > 0 && now+u.Every < ds.s.Horizon() {
		ds.tasks.At(now+u.Every, dataTask{a: dUpdate, node: -1, item: int32(i)})
	}
}

func (o Op) String() string {
	if o.Kind == OpNone {
		return "none"
	}
	return fmt.Sprintf("%s key %d", o.Kind, o.Key)
}
