package data

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// A data replica's process: it answers reads at once from what it has
// applied, and applies mutations — coordinators' writes, primary-mode log
// entries, read repairs, replayed hints — one at a time from a FIFO queue,
// each taking the store's apply time (so the queue, the replication
// backlog, grows while mutations arrive faster than it applies them).
// Mutations first wait out the replication lag. The queue is volatile: a
// crash loses it (unacknowledged writes time out at their coordinators;
// a primary-mode replica re-fetches the log from its last applied
// position when it reconnects). A pause stops answering and applying;
// what came in meanwhile is handled, in order, at the resume.

// The data layer's kinds of work (dataTask.a).
const (
	dWriteReq    int32 = iota // a write reaches a replica
	dWriteAck                 // the replica applied it: reaches the coordinator
	dWriteNack                // the replica's schema refused it: reaches the coordinator
	dReadReq                  // a read reaches a replica
	dReadResp                 // its answer reaches the coordinator
	dRepairReq                // a read-repair write reaches a replica
	dRepairAck                // the replica applied it: reaches the coordinator
	dOpTimeout                // a coordinator's quorum timeout
	dEnqueue                  // a mutation joins a replica's apply queue after its lag
	dApply                    // a replica finishes applying its queue's head
	dRepl                     // a primary-mode log entry reaches a replica
	dReconnect                // a primary-mode replica retries its replication connection
	dHintTick                 // a holder's hint dispatcher
	dHintSend                 // a holder replays one hint
	dHintReq                  // a replayed hint reaches its replica
	dHintAck                  // the replica applied it: reaches the holder
	dInvalidate               // a cache invalidation reaches a cache
	dUpdate                   // an operator's scheduled write
	dRepTimer                 // an anti-entropy repairer's timer
	dSyncReq                  // an anti-entropy exchange reaches the peer
	dSyncApply                // streamed values reach a side of an exchange
	dSyncDone                 // an exchange ends at its initiator
	dSyncTimeout              // an initiator gives up on an exchange
	dLagSample                // the replication-lag sensor's periodic sample
)

// dataTask is one unit of the data layer's work: a message between data
// replicas, a timer, a sample. Fields are used as each kind needs.
type dataTask struct {
	a    int32 // the kind (dWriteReq …)
	node int32 // whose process runs it; -1 for the world
	key  int32
	item int32
	ver  state.Version
	gen  uint32
	n    uint64
	ref  topology.Ref
	flag bool
	c    cell // a value carried by a message
}

// Owner is the node whose process runs the task (Owned).
func (t dataTask) Owner() int32 { return t.node }

// runTask runs one data task.
func (ds *datastore) runTask(t *dataTask) {
	s := ds.s
	switch t.a {
	case dWriteReq:
		ds.writeReq(t)
	case dWriteAck, dWriteNack:
		t.flag = t.a == dWriteAck
		ds.replyWrite(t)
	case dReadReq:
		ds.readReq(t)
	case dReadResp, dRepairAck:
		ds.replyRead(t)
	case dRepairReq:
		ds.enqueue(ds.nodeOf(t.node), mutation{key: t.key, c: t.c, src: mutRepair, op: t.ref, tgt: t.item, holder: -1})
	case dOpTimeout:
		ds.timeout(t)
	case dEnqueue:
		ds.push(ds.nodeOf(t.node), ds.pending(t))
	case dApply:
		ds.applyHead(ds.nodeOf(t.node))
	case dRepl:
		ds.replReceived(ds.nodeOf(t.node), t)
	case dReconnect:
		ds.reconnect(ds.nodeOf(t.node))
	case dHintTick:
		ds.hintTick(t.node)
	case dHintSend:
		ds.hintSend(t)
	case dHintReq:
		ds.enqueue(ds.nodeOf(t.node), mutation{key: t.key, c: t.c, src: mutHint, holder: t.item})
	case dHintAck:
		ds.hintAcked(t.node, t.item, t.key, t.c)
	case dInvalidate:
		ds.invalidated(s.Nodes[t.node], t.key)
	case dUpdate:
		ds.update(int(t.item))
	case dLagSample:
		ds.lag.sample(ds.w.Eng.Now())
		if next := ds.w.Eng.Now() + LagSampleInterval; next < s.Horizon() {
			ds.tasks.At(next, dataTask{a: dLagSample, node: -1})
		}
	case dRepTimer:
		ds.repairTimer(t)
	case dSyncReq:
		ds.syncReq(t)
		ds.syncUnref(t.ref)
	case dSyncApply:
		ds.syncApply(t)
		ds.syncUnref(t.ref)
	case dSyncDone:
		ds.syncDone(t, true)
		ds.syncUnref(t.ref)
	case dSyncTimeout:
		ds.syncDone(t, false)
		ds.syncUnref(t.ref)
	}
}

// lostTask accounts for a data task lost with its process.
func (ds *datastore) lostTask(t *dataTask) {
	switch t.a {
	case dSyncReq, dSyncApply, dSyncDone, dSyncTimeout:
		ds.syncUnref(t.ref)
	case dEnqueue: // received, still waiting out its lag: volatile
		ds.Stats.MutationsLost++
	}
}

// nodeOf is the data replica of state node id.
func (ds *datastore) nodeOf(id int32) *dataNode {
	return ds.nodes[ds.s.Nodes[id].Replica.Index]
}

// writeReq is a coordinator's write reaching replica t.node.
func (ds *datastore) writeReq(t *dataTask) {
	n := ds.nodeOf(t.node)
	ds.enqueue(n, mutation{key: t.key, c: t.c, src: mutWrite, op: t.ref, tgt: t.item, holder: int32(t.n) - 1, code: t.ver})
}

// readReq is a read reaching replica t.node: it answers with what it has
// applied and its schema.
func (ds *datastore) readReq(t *dataTask) {
	n := ds.nodeOf(t.node)
	op := ds.ops.Get(t.ref)
	if op == nil || op.done {
		return // the coordinator stopped waiting: nobody to answer
	}
	ds.send(n.node.Place, op.coord, dataTask{a: dReadResp, ref: t.ref, item: t.item, c: n.cells[t.key], ver: ds.s.DBSchema(n.node)})
}

// enqueue makes a mutation wait out its replication lag (primary-mode
// writes at the primary have none), then join the apply queue. Lagged
// mutations keep their order.
func (ds *datastore) enqueue(n *dataNode, m mutation) {
	lag := sim.Time(0)
	if ds.spec.Lag != nil && !(ds.spec.Mode == Primary && n.idx == 0) {
		lag = sim.SampleTime(ds.spec.Lag, n.rng)
	}
	for _, f := range n.slow {
		lag += f.delay
	}
	now := ds.w.Eng.Now()
	if lag <= 0 && n.lastEnq <= now {
		ds.push(n, m)
		return
	}
	at := max(now+lag, n.lastEnq)
	n.lastEnq = at
	extra := m.lsn
	if m.src != mutRepl {
		extra = uint64(int64(m.holder) + 1)
	}
	ds.tasks.At(at, dataTask{a: dEnqueue, node: n.node.ID, key: m.key, c: m.c, ref: m.op, item: m.tgt,
		gen: uint32(m.src), n: extra, ver: m.code})
}

// pending rebuilds the mutation a dEnqueue task carries: n is the log
// position of a log entry, and the holder plus one otherwise.
func (ds *datastore) pending(t *dataTask) mutation {
	m := mutation{key: t.key, c: t.c, src: mutSource(t.gen), op: t.ref, tgt: t.item, code: t.ver, holder: -1}
	if m.src == mutRepl {
		m.lsn = t.n
	} else {
		m.holder = int32(int64(t.n) - 1)
	}
	return m
}

// push adds m to n's apply queue and starts applying if idle.
func (ds *datastore) push(n *dataNode, m mutation) {
	n.queue = append(n.queue, m)
	ds.backlog(+1)
	if !n.busy {
		ds.startApply(n)
	}
}

func (ds *datastore) backlog(d int) {
	ds.queued += d
	now := ds.w.Eng.Now()
	for _, o := range ds.obs {
		o.Backlog(now, ds.queued)
	}
}

// startApply begins applying n's queue head.
func (ds *datastore) startApply(n *dataNode) {
	n.busy = true
	d := sim.SampleTime(ds.spec.ApplyTime, n.rng)
	for _, f := range n.slow {
		if f.apply > 0 {
			d = max(d, f.apply)
		}
	}
	ds.tasks.At(ds.w.Eng.Now()+d, dataTask{a: dApply, node: n.node.ID})
}

// applyHead applies n's queue head and answers for it.
func (ds *datastore) applyHead(n *dataNode) {
	if n.qhead >= len(n.queue) {
		n.busy = false
		return
	}
	m := n.queue[n.qhead]
	n.queue[n.qhead] = mutation{}
	n.qhead++
	if n.qhead == len(n.queue) {
		n.queue, n.qhead = n.queue[:0], 0
	} else if n.qhead > 64 && n.qhead*2 > len(n.queue) {
		k := copy(n.queue, n.queue[n.qhead:])
		n.queue, n.qhead = n.queue[:k], 0
	}
	ds.backlog(-1)
	ds.apply(n, m)
	if n.qhead < len(n.queue) {
		ds.startApply(n)
	} else {
		n.busy = false
	}
}

// apply performs one mutation at n.
func (ds *datastore) apply(n *dataNode, m mutation) {
	s := ds.s
	place := n.node.Place
	switch m.src {
	case mutWrite:
		op := ds.ops.Get(m.op)
		schema := s.DBSchema(n.node)
		c := m.c
		switch s.WriteCompat(m.code, schema) {
		case state.CompatFail:
			if op != nil && !op.done {
				ds.send(place, op.coord, dataTask{a: dWriteNack, ref: m.op, item: m.tgt, ver: schema})
			}
			return
		case state.CompatCorrupt:
			c.corrupt = true
		}
		if ds.spec.Mode == Primary && n.idx == 0 {
			ds.head++
			c.ver, c.at = ds.head, ds.w.Eng.Now()
			ds.log = append(ds.log, logEntry{key: m.key, c: c})
			ds.merge(n, m.key, c)
			ds.ship(c, m.key)
		} else {
			ds.merge(n, m.key, c)
			if m.holder >= 0 { // a stand-in keeps a hint for the home it stands in for
				ds.addHint(n.node.ID, m.holder, m.key, c)
			}
		}
		if op != nil && !op.done {
			ds.send(place, op.coord, dataTask{a: dWriteAck, ref: m.op, item: m.tgt, c: c, ver: schema})
		}
	case mutRepl:
		ds.merge(n, m.key, m.c)
		n.applied = m.lsn
	case mutRepair:
		if ds.merge(n, m.key, m.c) {
			ds.Stats.KeysRepaired++
		}
		s.Stats.RepairsApplied++
		if op := ds.ops.Get(m.op); op != nil && !op.done {
			ds.send(place, op.coord, dataTask{a: dRepairAck, ref: m.op, item: m.tgt})
		}
	case mutHint:
		if ds.merge(n, m.key, m.c) {
			ds.Stats.KeysRepaired++
		}
		ds.send(place, m.holder, dataTask{a: dHintAck, item: n.idx, key: m.key, c: m.c})
	}
}

// ship sends a committed log entry from the primary to every connected
// replica, in order on each link.
func (ds *datastore) ship(c cell, k int32) {
	p := ds.nodes[0]
	for _, r := range ds.nodes[1:] {
		if r.linkUp {
			ds.shipTo(p, r, c, k)
		}
	}
	ds.trimLog()
}

// shipTo sends one entry on r's link; a lost message breaks the link.
func (ds *datastore) shipTo(p, r *dataNode, c cell, k int32) {
	d, ok := ds.w.Net.Transit(p.node.Place, r.node.Place)
	if !ok {
		ds.breakLink(r)
		return
	}
	at := max(ds.w.Eng.Now()+d, r.lastAt)
	r.lastAt = at
	ds.tasks.At(at, dataTask{a: dRepl, node: r.node.ID, key: k, c: c, n: c.ver})
}

// breakLink marks r's replication connection broken; r retries it every
// Reconnect.
func (ds *datastore) breakLink(r *dataNode) {
	r.linkUp = false
	if !r.retrying && !r.node.Down() {
		r.retrying = true
		ds.tasks.At(ds.w.Eng.Now()+ds.spec.Reconnect, dataTask{a: dReconnect, node: r.node.ID})
	}
}

// replReceived is a log entry reaching replica r: entries out of order
// (after a lost one) are dropped until the link is re-established.
func (ds *datastore) replReceived(r *dataNode, t *dataTask) {
	if !r.linkUp || t.n != r.received+1 {
		return
	}
	r.received = t.n
	ds.enqueue(r, mutation{key: t.key, c: t.c, src: mutRepl, lsn: t.n, holder: -1})
}

// reconnect is a replica retrying its replication connection: when the
// primary runs and can be reached, the primary streams the log from the
// replica's last received position.
func (ds *datastore) reconnect(r *dataNode) {
	r.retrying = false
	p := ds.nodes[0]
	net := ds.w.Net
	if r.linkUp {
		return
	}
	if p.node.Down() || !net.Reachable(r.node.Place, p.node.Place) || !net.Reachable(p.node.Place, r.node.Place) {
		ds.breakLink(r)
		return
	}
	r.linkUp = true
	r.lastAt = 0
	for pos := r.received + 1; pos <= ds.head && r.linkUp; pos++ {
		e := ds.log[pos-ds.logLo]
		ds.shipTo(p, r, e.c, e.key)
	}
}

// trimLog drops log entries every replica has received.
func (ds *datastore) trimLog() {
	lo := ds.head
	for _, r := range ds.nodes[1:] {
		lo = min(lo, r.applied) // a crash sends received back to applied
	}
	if drop := lo - (ds.logLo - 1); drop > 0 && drop*2 >= uint64(len(ds.log)) {
		k := copy(ds.log, ds.log[drop:])
		ds.log = ds.log[:k]
		ds.logLo += drop
	}
}

// Crashed drops the volatile state of node n whose process died
// (ProcessHooks).
func (ds *datastore) Crashed(n *state.Node) {
	ds.coordinatorCrashed(n)
	if len(ds.hinted) > 0 {
		ds.hinted[n.ID] = false // its hint dispatcher died with it; hints are on disk
	}
	if n.Replica == nil || n.Replica.Service != ds.svc {
		return
	}
	dn := ds.nodes[n.Replica.Index]
	if q := len(dn.queue) - dn.qhead; q > 0 {
		ds.Stats.MutationsLost += uint64(q)
		ds.backlog(-q)
	}
	dn.queue, dn.qhead, dn.busy, dn.lastEnq = dn.queue[:0], 0, false, 0
	dn.deadSince = ds.w.Eng.Now()
	dn.repairer = nil
	for i := range dn.rTimer {
		dn.rTimer[i]++
	}
	if ds.spec.Mode != Primary {
		return
	}
	if dn.idx == 0 { // every replica's stream breaks
		for _, r := range ds.nodes[1:] {
			ds.breakLink(r)
		}
		return
	}
	dn.received = dn.applied // the relay log is lost: re-fetched from the applied position
	dn.linkUp, dn.retrying = false, false
}

// Booted starts the data processes of node n after a restart
// (ProcessHooks).
func (ds *datastore) Booted(n *state.Node) {
	if slot := len(ds.hints); slot > 0 && len(ds.hints[n.ID]) > 0 && !ds.hinted[n.ID] {
		ds.hinted[n.ID] = true
		ds.tasks.At(ds.w.Eng.Now()+hintInterval, dataTask{a: dHintTick, node: n.ID})
	}
	if n.Replica == nil || n.Replica.Service != ds.svc {
		return
	}
	dn := ds.nodes[n.Replica.Index]
	dn.deadSince = -1
	ds.startRepairer(dn)
	if ds.spec.Mode == Primary && dn.idx > 0 {
		dn.retrying = true
		ds.tasks.At(ds.w.Eng.Now(), dataTask{a: dReconnect, node: n.ID})
	}
}

// run schedules the datastore's processes at the start of the run.
func (ds *datastore) run(horizon sim.Time) {
	if !ds.configured {
		_ = Datastore{ds}.Configure(Policy{}, nil) // the zero policy always checks
	}
	for _, n := range ds.nodes {
		if !n.node.Down() {
			ds.startRepairer(n)
		}
	}
	ds.tasks.At(0, dataTask{a: dLagSample, node: -1})
	for i, u := range ds.spec.Updates {
		if u.At < horizon {
			ds.tasks.At(u.At, dataTask{a: dUpdate, node: -1, item: int32(i)})
		}
	}
}

// LagData makes data replica rep fall behind until the returned function
// is called (D-F1 replica lag / replication backlog; nests): every
// mutation waits delay longer before it joins the apply queue, and with
// apply > 0 each takes at least that long to apply, so the queue grows
// whenever writes arrive faster than 1/apply.
func (d Datastore) LagData(rep *topology.Replica, delay, apply sim.Time) (restore func()) {
	if rep.Service != d.ds.svc {
		return func() {}
	}
	n := d.ds.nodes[rep.Index]
	f := &lagFault{delay: delay, apply: apply}
	n.slow = append(n.slow, f)
	return topology.Once(func() {
		for i, x := range n.slow {
			if x == f {
				n.slow = append(n.slow[:i], n.slow[i+1:]...)
				return
			}
		}
	})
}
