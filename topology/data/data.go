package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// This file is the data layer of the state model: a datastore whose data
// replicas are the replicas of one service, each holding a cell per data
// key; the requests that read and write those keys through the replicas
// of the services that use it; and the accounting of how far the replicas
// and caches have diverged. See doc.go ("The data layer") for the picture.
//
// Files: data.go (model, cells, placement, divergence), dataop.go
// (coordinators: quorum reads and writes, read repair, hinted handoff,
// caches), datareplica.go (apply queues, primary-mode replication),
// datarepair.go (anti-entropy), schema.go (the compatibility matrix).

// Mode is how a datastore replicates.
type Mode uint8

const (
	// Primary: replica 0 is the primary; it takes every write, commits
	// it to its log (the write's version is its log position) and ships
	// the log to the other replicas asynchronously, in order, as MySQL's
	// binlog or PostgreSQL's WAL streaming replication do. A replica
	// applies entries in log order; reads go where the strategy's
	// read_from says.
	Primary Mode = iota
	// Leaderless: Dynamo and Cassandra. Each key has N home replicas
	// (consecutive on a ring of contiguous key ranges, Cassandra's
	// SimpleStrategy); the coordinator — the serving replica of the
	// service that uses the store, as Dynamo's client-driven coordination
	// (DeCandia et al. 2007 §6.4) — sends a write to the key's replicas
	// and waits for W acknowledgements, a read to them and waits for R
	// answers. Versions are the coordinator's wall-clock timestamps; the
	// newest wins (last write wins).
	Leaderless
)

var dataModeNames = [...]string{"primary", "leaderless"}

func (m Mode) String() string {
	if int(m) < len(dataModeNames) {
		return dataModeNames[m]
	}
	return "mode(?)"
}

// ParseMode maps a mode's name to the Mode.
func ParseMode(s string) (Mode, error) {
	if i := slices.Index(dataModeNames[:], s); i >= 0 {
		return Mode(i), nil
	}
	return 0, fmt.Errorf("unknown datastore mode %q (want primary or leaderless)", s)
}

// Workload is what one client's requests do to the datastore: a
// fraction of them perform one data operation each, reads or writes, on
// keys drawn from a popularity distribution.
type Workload struct {
	Client   int     // index into Spec.Clients
	Fraction float64 // of the client's requests that perform a data operation, in (0, 1]
	Reads    float64 // of those, the fraction that read (the rest write), in [0, 1]
	Keys     int     // keys [0, Keys) are used; 0 means every key of the store
	// Zipf is the zipfian constant θ of key popularity (YCSB's
	// ZipfianGenerator, 0.99 by default there, after Gray et al., "Quickly
	// generating billion-record synthetic databases", SIGMOD 1994): key i
	// is drawn with probability ∝ 1/(i+1)^θ. 0 means uniform.
	Zipf float64
}

// Update is a write issued by an operator at a time (a price change,
// a backfill), not by a request: it is coordinated from the control
// plane's store and its schema is compatible with every reader.
type Update struct {
	At    sim.Time
	Key   int
	Every sim.Time // > 0: repeat until the horizon
}

// Spec declares a world's datastore.
type Spec struct {
	Service int  // index into Spec.Services: its replicas are the data replicas (replica 0 is the primary)
	Mode    Mode // primary-replica or leaderless
	Keys    int  // data keys (partitions), ≥ 1
	// RF is the replication factor N of a leaderless store (1 ≤ RF ≤
	// replicas; Cassandra's replication_factor, Dynamo's N). A primary
	// store replicates every key to every replica.
	RF   int
	Size int // bytes of one value: what a write, a read repair, a hint or a streamed key carries
	// ApplyTime is how long a replica takes to apply one mutation (its
	// apply capacity is 1/mean per second); mutations wait in a FIFO
	// queue, so the backlog grows while they arrive faster. nil: 100 µs.
	ApplyTime sim.Dist
	// Lag is the replication delay a mutation waits before it joins a
	// replica's apply queue (primary mode: every replica but the
	// primary; leaderless: every replica). nil: none.
	Lag sim.Dist
	// Reconnect is how often a primary-mode replica retries its broken
	// replication connection (PostgreSQL wal_retrieve_retry_interval, 5 s).
	Reconnect sim.Time
	Compat    []state.CompatRule
	Workload  []Workload
	Updates   []Update
}

// DefaultApplyTime is a data replica's apply time per mutation when the
// spec gives none: 100 µs, a capacity of 10 000 writes/s (a modelling
// choice, not a documented default of any system).
const DefaultApplyTime = 100 * sim.Microsecond

// DefaultReconnect is PostgreSQL's wal_retrieve_retry_interval (5 s).
const DefaultReconnect = 5 * sim.Second

// Validate reports an impossible datastore declaration.
func (d Spec) Validate(replicas int) error {
	switch {
	case d.Keys < 1:
		return fmt.Errorf("datastore: keys must be at least 1, got %d", d.Keys)
	case d.Mode == Leaderless && (d.RF < 1 || d.RF > replicas):
		return fmt.Errorf("datastore: replication factor must be between 1 and the replicas (%d), got %d", replicas, d.RF)
	case d.Size < 1:
		return fmt.Errorf("datastore: value size must be at least 1 byte")
	case d.Reconnect < 0:
		return fmt.Errorf("datastore: reconnect interval must not be negative")
	}
	for _, wl := range d.Workload {
		if !(wl.Fraction > 0 && wl.Fraction <= 1) || !(wl.Reads >= 0 && wl.Reads <= 1) || wl.Keys < 0 || wl.Keys > d.Keys ||
			!(wl.Zipf >= 0 && wl.Zipf < 1) {
			return fmt.Errorf("datastore: workload of client %d: fraction in (0, 1], reads in [0, 1], keys up to %d, zipf in [0, 1)", wl.Client, d.Keys)
		}
	}
	for _, u := range d.Updates {
		if u.Key < 0 || u.Key >= d.Keys || u.At < 0 || u.Every < 0 {
			return fmt.Errorf("datastore: update of key %d at %v: unknown key or negative time", u.Key, u.At)
		}
	}
	for _, r := range d.Compat {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// cell is what a data replica holds for one key: the version of the
// last write it applied (0: the initial value every replica starts with),
// when that write was made, the schema its writer spoke, and whether the
// write stored a corrupt row.
type cell struct {
	ver     uint64
	at      sim.Time      // the write's origin: its issue (leaderless) or commit at the primary
	schema  state.Version // the writer's code schema (0: an operator write, readable by all)
	corrupt bool
}

// hash is the key's contribution to its replica's checksums: XOR-combined
// into ranges as Cassandra's MerkleTree combines children
// (utils/MerkleTree.java: inner nodes XOR their children's hashes).
func (c cell) hash(key int32) uint64 {
	x := uint64(key)*0x9E3779B97F4A7C15 ^ c.ver*0xC2B2AE3D27D4EB4F ^ uint64(c.schema)<<40
	if c.corrupt {
		x ^= 0xD6E8FEB86659FD93
	}
	// splitmix64 finalizer
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// newer reports whether c should replace old under last write wins.
func (c cell) newer(old cell) bool { return c.ver > old.ver }

// OpKind is what a request does to the datastore.
type OpKind uint8

const (
	OpNone OpKind = iota // no data operation
	Read                 // reads one key
	Write                // writes one key
)

var dataOpNames = [...]string{"none", "read", "write"}

func (k OpKind) String() string {
	if int(k) < len(dataOpNames) {
		return dataOpNames[k]
	}
	return "op(?)"
}

// Op is a request's data operation, drawn at its arrival.
type Op struct {
	Kind OpKind
	Key  int32
	// Expect is the newest version of the key acknowledged to any writer
	// when the request arrived: a read returning an older one is stale.
	Expect uint64
}

// Served is what the datastore did for a request's answering attempt.
type Served struct {
	Op      OpKind
	Key     int32
	Version uint64        // the version read or written (0: the initial value)
	Schema  state.Version // the database schema of the replica that served it (the primary for primary-mode writes)
	Stale   bool          // a read older than the newest write acknowledged at the request's arrival
	Corrupt bool          // read a corrupt row, or stored one
	Cached  bool          // answered from the serving replica's cache
}

// Stats are the datastore's cumulative counters since the run began.
type Stats struct {
	Reads, Writes             uint64 // data operations begun (requests' and operators')
	ReadsFailed, WritesFailed uint64 // of which failed: too few replicas in time, or an incompatible schema
	Acked                     uint64 // writes acknowledged
	StaleReads                uint64 // reads answered with a version older than expected at arrival
	CacheHits, CacheMisses    uint64 // reads answered from a cache / that went to the store with a cache in front
	CorruptWrites             uint64 // writes that stored a corrupt row on some replica
	CorruptReads              uint64 // reads that returned a corrupt row
	SchemaFailures            uint64 // operations failed by an incompatible schema combination
	Invalidations             uint64 // cache invalidations sent
	InvalidationsLost         uint64 // of which lost (partition, or an invalidation-loss fault)
	ReadRepairs               uint64 // read-repair writes sent to stale replicas
	HintsStored               uint64 // hints written for unavailable replicas
	HintsDelivered            uint64 // hints replayed and acknowledged
	HintsDropped              uint64 // hints not written because the replica was down longer than the hint window
	MutationsLost             uint64 // queued mutations lost when their replica crashed
	Syncs, SyncsFailed        uint64 // anti-entropy exchanges begun / that did not complete
	SyncHashBytes             uint64 // bytes of checksums and Merkle hashes exchanged
	SyncStreamBytes           uint64 // bytes of values streamed by anti-entropy
	KeysRepaired              uint64 // keys anti-entropy, read repair and hints brought up to date
	LostUpdates               uint64 // acknowledged writes that an earlier-acknowledged write overrides (last write wins with skewed clocks)
	Unconverged               uint64 // acknowledged writes dropped from convergence tracking (too many pending on a key)
}

// Observer hears the datastore's changes that metrics integrate over
// time. Each method is called at the moment of the change.
type Observer interface {
	// DataDivergence: behind of total (key, replica) pairs now hold an
	// older version than the reference (the primary's, or the newest any
	// home replica holds).
	DataDivergence(now sim.Time, behind, total int)
	// Replicated: a replica applied a write lag after the write's origin.
	Replicated(now sim.Time, lag sim.Time)
	// WriteConverged: every replica of its key now holds a write
	// acknowledged at ackedAt, or a newer one.
	WriteConverged(now, ackedAt sim.Time)
	// Backlog: mutations now queued at the data replicas, in total.
	Backlog(now sim.Time, queued int)
}

// dataNode is one data replica.
type dataNode struct {
	node  *state.Node
	idx   int32 // index among the data replicas
	cells []cell
	fen   []uint64 // XOR Fenwick tree over the keys' cell hashes, 1-based

	queue   []mutation // apply queue (volatile: lost in a crash)
	qhead   int
	busy    bool     // an apply is in progress
	lastEnq sim.Time // when the last lagged mutation joins the queue (queues stay FIFO)
	slow    []*lagFault

	// primary-mode replication (replicas other than the primary)
	received, applied uint64 // log positions: received in order, applied
	linkUp            bool
	lastAt            sim.Time // arrival of the last entry shipped on the link
	retrying          bool

	repairer Repairer
	rout     []RepairAction
	rTimer   [4]uint32
	rng      *rand.Rand
	starts   int

	deadSince sim.Time // when it was last seen unavailable (-1: not)
}

// lagFault is a replica-lag fault's effect on one data replica.
type lagFault struct {
	delay sim.Time // extra replication delay per mutation
	apply sim.Time // apply time per mutation while it holds (0: unchanged)
}

// mutation is a write waiting in a replica's apply queue.
type mutation struct {
	key    int32
	c      cell
	src    mutSource
	op     topology.Ref // the coordinating operation (writes, read repairs)
	tgt    int32        // index of this replica among the operation's targets
	holder int32        // hints: the node to acknowledge to; stand-in writes: the intended home (-1: none)
	lsn    uint64
	code   state.Version // writes: the writer's code schema
}

type mutSource uint8

const (
	mutWrite  mutSource = iota // a coordinator's write
	mutRepl                    // a primary-mode log entry
	mutRepair                  // a read-repair write
	mutHint                    // a hint replayed
)

// hint is a write a holder keeps for an unavailable replica (Cassandra
// hinted handoff; Dynamo's hinted replica in a sloppy quorum).
type hint struct {
	target   int32 // data replica index
	key      int32
	c        cell
	inflight bool
	sentAt   sim.Time
}

// pendingWrite is an acknowledged write not yet held by every replica of
// its key.
type pendingWrite struct {
	ver     uint64
	at      sim.Time // acknowledged
	holding int32
}

// maxPending bounds the writes per key tracked for convergence; older ones
// are dropped and counted in Stats.Unconverged.
const maxPending = 256

// datastore is a world's datastore at run time.
type datastore struct {
	s     *state.State
	w     *topology.World
	tasks *state.Work[dataTask] // its own process work (datareplica.go)
	requestTables
	newRepairer NewRepairer // each data replica's anti-entropy loop; nil: none
	configured  bool
	spec        Spec
	svc         *topology.Service
	nodes       []*dataNode
	pol         Policy
	rf          int
	total       int // (key, replica) pairs whose divergence is measured

	rstart []int32  // primary range of replica i: keys [rstart[i], rstart[i+1])
	acked  []uint64 // per key: newest version acknowledged to a writer
	top    []uint64 // per key: the reference version (primary's, or the newest a home holds)
	atTop  []int32  // per key: replicas (other than the primary) holding the reference version
	behind int
	queued int
	pend   [][]pendingWrite

	seq    uint64 // writes issued
	head   uint64 // primary mode: the log's last position
	log    []logEntry
	logLo  uint64 // position of log[0]
	ops    topology.Arena[dataOp]
	syncs  topology.Arena[aeSync]
	caches []*cache      // by state node ID: the cache of a replica that coordinates data operations (nil otherwise)
	users  []*state.Node // nodes that coordinate requests' data operations, in node order
	hints  [][]hint      // by state node ID (the store at len(Nodes))
	hinted []bool        // by holder: a hint tick is scheduled
	work   []*workload   // by client

	schema *state.Key // the store's schema key (nil: every replica stays at schema 1)
	lag    *dataLag   // the replication-lag sensor it feeds

	Stats Stats
	obs   []Observer
	rng   *rand.Rand
}

// checkPolicy reports consistency levels the store cannot meet.
func (ds *datastore) checkPolicy() error {
	if ds.spec.Mode == Primary {
		return nil
	}
	for _, l := range []int{ds.pol.Read, ds.pol.Write} {
		if l > ds.rf {
			return fmt.Errorf("datastore: a consistency level of %d replicas exceeds the replication factor %d", l, ds.rf)
		}
	}
	return nil
}

type logEntry struct {
	key int32
	c   cell
}

// workload is a client's data workload at run time.
type workload struct {
	spec Workload
	rng  *rand.Rand
	zipf zipfian
}

func newDatastore(s *state.State, spec Spec) (*datastore, error) {
	w := s.World()
	if spec.Service < 0 || spec.Service >= len(w.Services) {
		return nil, fmt.Errorf("datastore: unknown service %d", spec.Service)
	}
	svc := w.Services[spec.Service]
	if err := spec.Validate(len(svc.Replicas)); err != nil {
		return nil, err
	}
	if spec.ApplyTime == nil {
		spec.ApplyTime = sim.Constant{V: DefaultApplyTime.Seconds()}
	}
	if spec.Reconnect <= 0 {
		spec.Reconnect = DefaultReconnect
	}
	ds := &datastore{s: s, w: w, spec: spec, svc: svc, rng: sim.NewStream(w.Seed, "data"), work: make([]*workload, len(w.Clients))}
	ds.tasks = state.NewWork(s, "data", ds.runTask, ds.lostTask)
	d := len(svc.Replicas)
	ds.rf = spec.RF
	if spec.Mode == Primary {
		ds.rf = d
	}
	k := spec.Keys
	ds.rstart = make([]int32, d+1)
	for i := 0; i <= d; i++ {
		ds.rstart[i] = int32(i * k / d)
	}
	for _, r := range svc.Replicas {
		dn := &dataNode{node: s.Nodes[r.ID], idx: int32(len(ds.nodes)), cells: make([]cell, k), fen: make([]uint64, k+1), linkUp: true, deadSince: -1,
			rng: sim.NewStream(w.Seed, "data/"+r.Name)}
		for key := range dn.cells {
			dn.cells[key].schema = 1
			fenXor(dn.fen, int32(key), dn.cells[key].hash(int32(key)))
		}
		ds.nodes = append(ds.nodes, dn)
	}
	ds.acked = make([]uint64, k)
	ds.top = make([]uint64, k)
	ds.atTop = make([]int32, k)
	for key := range ds.atTop {
		ds.atTop[key] = int32(ds.refHolders())
	}
	ds.pend = make([][]pendingWrite, k)
	ds.logLo = 1
	ds.total = k * ds.refHolders()
	for _, wl := range spec.Workload {
		if wl.Client < 0 || wl.Client >= len(w.Clients) {
			return nil, fmt.Errorf("datastore: workload of unknown client %d", wl.Client)
		}
		if ds.work[wl.Client] != nil {
			return nil, fmt.Errorf("datastore: client %s has two workloads", w.Clients[wl.Client].Name)
		}
		if wl.Keys == 0 {
			wl.Keys = k
		}
		c := w.Clients[wl.Client]
		ds.work[wl.Client] = &workload{spec: wl, rng: sim.NewStream(w.Seed, "data/"+c.Name), zipf: newZipfian(wl.Keys, wl.Zipf)}
		if c.Target == svc {
			return nil, fmt.Errorf("datastore: client %s targets the data replicas themselves", c.Name)
		}
	}
	ds.caches = make([]*cache, len(s.Nodes))
	for _, c := range w.Clients {
		if ds.work[c.ID] == nil {
			continue
		}
		for _, r := range c.Target.Replicas {
			if ds.caches[r.ID] == nil {
				ds.caches[r.ID] = &cache{entries: make([]cacheEntry, k)}
			}
		}
	}
	for id, c := range ds.caches {
		if c != nil {
			ds.users = append(ds.users, s.Nodes[id])
		}
	}
	return ds, nil
}

// refHolders is the number of replicas per key whose divergence counts:
// the replicas other than the primary (primary mode), or the N homes.
func (ds *datastore) refHolders() int {
	if ds.spec.Mode == Primary {
		return len(ds.nodes) - 1
	}
	return ds.rf
}

// owner is the replica whose primary range holds key k.
func (ds *datastore) owner(k int32) int32 {
	d := len(ds.nodes)
	o := int32(int64(k) * int64(d) / int64(ds.spec.Keys))
	for o+1 < int32(d) && ds.rstart[o+1] <= k {
		o++
	}
	for o > 0 && ds.rstart[o] > k {
		o--
	}
	return o
}

// home reports whether replica i is one of key k's N replicas.
func (ds *datastore) home(i, k int32) bool {
	if ds.spec.Mode == Primary {
		return true
	}
	d := int32(len(ds.nodes))
	return (i-ds.owner(k)+d)%d < int32(ds.rf)
}

// homeOf is key k's j-th replica on the ring (j < N: a home; beyond: the
// stand-ins a sloppy quorum walks to).
func (ds *datastore) homeOf(k int32, j int) int32 {
	d := int32(len(ds.nodes))
	return (ds.owner(k) + int32(j)) % d
}

// shares reports whether replicas a and b are both replicas of range r.
func (ds *datastore) shares(a, b, r int32) bool {
	d := int32(len(ds.nodes))
	return (a-r+d)%d < int32(ds.rf) && (b-r+d)%d < int32(ds.rf)
}

// fenXor folds x into key k's position of a XOR Fenwick tree.
func fenXor(f []uint64, k int32, x uint64) {
	for i := int(k) + 1; i < len(f); i += i & -i {
		f[i] ^= x
	}
}

// fenPrefix is the XOR of the hashes of keys [0, k).
func fenPrefix(f []uint64, k int32) uint64 {
	var x uint64
	for i := int(k); i > 0; i -= i & -i {
		x ^= f[i]
	}
	return x
}

// rangeHash is the checksum of keys [lo, hi) at n: O(log keys).
func (n *dataNode) rangeHash(lo, hi int32) uint64 { return fenPrefix(n.fen, hi) ^ fenPrefix(n.fen, lo) }

// merge stores c as n's value of key k if it is newer (last write wins)
// and keeps checksums, divergence, lag and convergence up to date. It
// reports whether the value changed.
func (ds *datastore) merge(n *dataNode, k int32, c cell) bool {
	old := n.cells[k]
	if !c.newer(old) {
		return false
	}
	n.cells[k] = c
	fenXor(n.fen, k, old.hash(k)^c.hash(k))
	now := ds.w.Eng.Now()
	primary := ds.spec.Mode == Primary && n.idx == 0
	if !ds.home(n.idx, k) {
		return true // a stand-in's hinted copy: not a replica of the key
	}
	ds.recount(n, k, old.ver, c.ver)
	if !primary {
		for _, o := range ds.obs {
			o.Replicated(now, now-c.at)
		}
	}
	ds.converge(k, old.ver, c.ver, now)
	return true
}

// recount updates the divergence count after replica n's version of key
// k moved from old to v.
func (ds *datastore) recount(n *dataNode, k int32, old, v uint64) {
	before := ds.behind
	holders := int32(ds.refHolders())
	if ds.spec.Mode == Primary {
		if n.idx == 0 { // the reference moved: count the replicas already there
			ds.behind -= int(holders - ds.atTop[k])
			ds.top[k] = v
			at := int32(0)
			for _, o := range ds.nodes[1:] {
				if o.cells[k].ver == v {
					at++
				}
			}
			ds.atTop[k] = at
			ds.behind += int(holders - at)
		} else {
			if old == ds.top[k] {
				ds.atTop[k]--
				ds.behind++
			}
			if v == ds.top[k] {
				ds.atTop[k]++
				ds.behind--
			}
		}
	} else {
		switch {
		case v > ds.top[k]:
			ds.behind += int(holders-1) - int(holders-ds.atTop[k])
			ds.top[k], ds.atTop[k] = v, 1
		case v == ds.top[k]:
			ds.atTop[k]++
			ds.behind--
		}
	}
	if ds.behind != before {
		now := ds.w.Eng.Now()
		for _, o := range ds.obs {
			o.DataDivergence(now, ds.behind, ds.total)
		}
	}
}

// holders is the number of replicas that must hold a write of key k for it
// to have converged.
func (ds *datastore) holders() int32 { return int32(ds.rf) }

// converge counts replica holdings of pending writes of key k after a
// replica moved from old to v.
func (ds *datastore) converge(k int32, old, v uint64, now sim.Time) {
	p := ds.pend[k]
	if len(p) == 0 {
		return
	}
	j := 0
	for _, pw := range p {
		if pw.ver > old && pw.ver <= v {
			pw.holding++
		}
		if pw.holding >= ds.holders() {
			for _, o := range ds.obs {
				o.WriteConverged(now, pw.at)
			}
			continue
		}
		p[j] = pw
		j++
	}
	ds.pend[k] = p[:j]
}

// track starts following an acknowledged write of key k until every
// replica holds it.
func (ds *datastore) track(k int32, ver uint64, now sim.Time) {
	holding := int32(0)
	for i := 0; i < ds.rf; i++ {
		if ds.nodes[ds.homeOf(k, i)].cells[k].ver >= ver {
			holding++
		}
	}
	if holding >= ds.holders() {
		for _, o := range ds.obs {
			o.WriteConverged(now, now)
		}
		return
	}
	if len(ds.pend[k]) >= maxPending {
		ds.Stats.Unconverged++
		copy(ds.pend[k], ds.pend[k][1:])
		ds.pend[k] = ds.pend[k][:len(ds.pend[k])-1]
	}
	ds.pend[k] = append(ds.pend[k], pendingWrite{ver: ver, at: now, holding: holding})
}

// version makes the version of a write issued now by a coordinator whose
// wall clock reads wall: the timestamp in its upper bits and the issue
// sequence in the lower 16 (a tie-break), as Cassandra's microsecond
// write timestamps. Wall-clock readings are offset so that a clock stepped
// back below zero still orders.
func (ds *datastore) version(wall sim.Time) uint64 {
	ds.seq++
	return uint64(wall+1<<46)<<16 | ds.seq&0xffff
}

// zipfian draws ranks in [0, n) with P(i) ∝ 1/(i+1)^θ by Gray et al.'s
// method (YCSB ZipfianGenerator): O(n) set-up, O(1) per draw.
type zipfian struct {
	n                        int
	theta, alpha, zetan, eta float64
	half                     float64 // 1 + 0.5^θ
	uniform                  bool
}

func newZipfian(n int, theta float64) zipfian {
	if theta == 0 || n < 2 {
		return zipfian{n: n, uniform: true}
	}
	zeta := func(m int) float64 {
		s := 0.0
		for i := 1; i <= m; i++ {
			s += 1 / math.Pow(float64(i), theta)
		}
		return s
	}
	z := zipfian{n: n, theta: theta, zetan: zeta(n), alpha: 1 / (1 - theta), half: 1 + math.Pow(0.5, theta)}
	zeta2 := zeta(2)
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/z.zetan)
	return z
}

// draw returns a rank for the uniform draw u in [0, 1).
func (z *zipfian) draw(u float64) int {
	if z.uniform {
		return min(int(u*float64(z.n)), z.n-1)
	}
	uz := u * z.zetan
	switch {
	case uz < 1:
		return 0
	case uz < z.half:
		return 1
	}
	return min(int(float64(z.n)*math.Pow(z.eta*u-z.eta+1, z.alpha)), z.n-1)
}

// drawData draws request r's data operation if its client has a workload.
// Called at arrival; draws from the client's own data stream only.
func (ds *datastore) drawData(c *topology.Client, r *topology.Request) {
	wl := ds.work[c.ID]
	if wl == nil {
		return
	}
	if wl.spec.Fraction < 1 && wl.rng.Float64() >= wl.spec.Fraction {
		return
	}
	kind := Write
	if wl.rng.Float64() < wl.spec.Reads {
		kind = Read
	}
	k := int32(wl.zipf.draw(wl.rng.Float64()))
	ds.reqData[r.Ref().Slot()] = Op{Kind: kind, Key: k, Expect: ds.acked[k]}
}

// Observe adds an observer of the datastore.
func (ds *datastore) observe(o Observer) { ds.obs = append(ds.obs, o) }

// Consistent reports whether the datastore served the attempt as the
// desired state at its arrival: no read older than the newest write
// acknowledged by then, no corrupt row.
func (s Served) Consistent() bool { return !s.Stale && !s.Corrupt }

// Datastore is the data layer's public face on a state model.
type Datastore struct{ ds *datastore }

// Observe adds an observer of the datastore's divergence, lag and convergence.
func (d Datastore) Observe(o Observer) { d.ds.observe(o) }

// Stats are the datastore's counters now.
func (d Datastore) Stats() Stats { return d.ds.Stats }

// Mode is the store's replication mode.
func (d Datastore) Mode() Mode { return d.ds.spec.Mode }

// Replicas is the number of data replicas.
func (d Datastore) Replicas() int { return len(d.ds.nodes) }

// Total is the number of (key, replica) pairs whose divergence is measured.
func (d Datastore) Total() int { return d.ds.total }

// Behind is the number of (key, replica) pairs behind now.
func (d Datastore) Behind() int { return d.ds.behind }

// Queued is the number of mutations queued at the data replicas now.
func (d Datastore) Queued() int { return d.ds.queued }

// Version is what data replica rep holds for key k now (0: the initial value).
func (d Datastore) Version(rep *topology.Replica, k int) uint64 {
	return d.ds.nodes[rep.Index].cells[k].ver
}

// Put writes version ver of key k straight into data replica rep's store,
// as restoring a backup or an operator's direct edit would: no coordinator,
// no acknowledgement. Tests seed a rumour with it.
func (d Datastore) Put(rep *topology.Replica, k int, ver uint64) {
	ds := d.ds
	ds.merge(ds.nodes[rep.Index], int32(k), cell{ver: ver, at: ds.w.Eng.Now(), schema: 1})
}

// Policy is the data policy the store runs with.
func (d Datastore) Policy() Policy { return d.ds.pol }
