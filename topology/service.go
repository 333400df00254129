package topology

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
)

// NodeState is whether a node is serving.
type NodeState uint8

const (
	Up     NodeState = iota // serving
	Down                    // crashed: refuses and loses work
	Paused                  // stalled (a GC pause, SIGSTOP): accepts work, serves none
)

func (s NodeState) String() string {
	switch s {
	case Up:
		return "up"
	case Down:
		return "down"
	case Paused:
		return "paused"
	}
	return "state(?)"
}

// Unbounded is the QueueCapacity of a queue with no limit.
const Unbounded = -1

// ServiceSpec describes a service: N identical replicas.
type ServiceSpec struct {
	Name          string
	Replicas      int      // ≥ 1
	Concurrency   int      // requests served at once per replica, ≥ 1
	QueueCapacity int      // waiting requests per replica; Unbounded, or ≥ 0 (0: reject when all slots are busy)
	ServiceTime   sim.Dist // seconds per request
	ErrorRate     float64  // probability a served request fails, in [0, 1]
	Places        []PlaceID
	// Places the replicas are spread over, round robin; empty means place 0.
	Weights []float64
	// Weights are the replicas' load-balancing weights (as EDS assigns
	// them), cycled over the replicas; empty means 1 each.
	Calls []Step
	// Calls are what a replica calls, step after step, once its own work
	// on a request is done (see calls.go); empty means none.
	NonBlocking bool
	// NonBlocking frees a replica's service slot while it waits on its
	// calls; by default (thread-per-request) the slot stays held.
	Operations []Operation
	// Operations are the kinds of request the service serves (operations.go);
	// empty means one kind, with ServiceTime and Calls.
	Provisioned int
	// Provisioned is how many of the Replicas (the first ones) are
	// provisioned at the start; 0 means all. The others are a pool an
	// autoscaler provisions from (see World.SetProvisioned).
}

// Validate reports the first impossible value in s.
func (s ServiceSpec) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("service has no name")
	case s.Replicas < 1:
		return fmt.Errorf("service %s: replicas must be at least 1, got %d", s.Name, s.Replicas)
	case s.Concurrency < 1:
		return fmt.Errorf("service %s: concurrency must be at least 1, got %d", s.Name, s.Concurrency)
	case s.QueueCapacity < Unbounded:
		return fmt.Errorf("service %s: queue capacity must be unbounded or ≥ 0, got %d", s.Name, s.QueueCapacity)
	case s.ServiceTime == nil:
		return fmt.Errorf("service %s: no service time distribution", s.Name)
	case !(s.ErrorRate >= 0 && s.ErrorRate <= 1):
		return fmt.Errorf("service %s: error rate must be in [0, 1], got %g", s.Name, s.ErrorRate)
	case s.Provisioned < 0 || s.Provisioned > s.Replicas:
		return fmt.Errorf("service %s: provisioned replicas must be in [0, %d], got %d", s.Name, s.Replicas, s.Provisioned)
	}
	for _, w := range s.Weights {
		if !(w > 0) {
			return fmt.Errorf("service %s: weights must be positive, got %g", s.Name, w)
		}
	}
	return s.validateOperations()
}

// Service is a named set of replicas, grouped into one cluster per region.
type Service struct {
	ID       int
	Name     string
	Spec     ServiceSpec
	Replicas []*Replica
	Clusters []Cluster
	Up       int  // provisioned replicas not down
	Edge     bool // it stands for a declared edge gateway (edges.go)
	// Provisioned is the number of replicas provisioned now (see
	// World.SetProvisioned): all of them unless an autoscaler manages
	// the service.
	Provisioned int

	callers   []*Caller  // every caller sidecar targeting the service
	opCum     []float64  // cumulative operation weights, normalised (operations.go)
	activator *activator // holds requests while it has no replica (activator.go); nil: none
	provArea  float64    // ∫ Provisioned dt up to provAt, replica·seconds
	provAt    sim.Time
}

// ReplicaSeconds is ∫ Provisioned dt from the start of the run to now, in
// replica·seconds: what the service's replicas cost.
func (s *Service) ReplicaSeconds(now sim.Time) float64 {
	return s.provArea + float64(s.Provisioned)*(now-s.provAt).Seconds()
}

// Cluster is the replicas of one service in one region: what an edge
// chooses between.
type Cluster struct {
	Region   string
	Replicas []int32 // indices into Service.Replicas
	Up       int     // provisioned replicas not down
	Off      int     // replicas not provisioned
}

// Replica is one instance of a service: Concurrency service slots and a
// FIFO queue in front of them.
//
// Its layout is for large fleets: what every attempt reads or writes
// (sending, reaching, starting service, finishing) comes first, with room
// for the first jobs in service and in the queue, so an attempt touches the
// first four cache lines only and the rest stays cold; the struct is 384
// bytes, a size class of Go's allocator whose objects start on 128-byte
// boundaries (TestReplicaLayout keeps both true).
type Replica struct {
	ID      int32 // index into World.Replicas
	Index   int32 // index into Service.Replicas
	Service *Service
	Place   PlaceID
	Cluster int32 // index into Service.Clusters
	State   NodeState
	off     bool  // not provisioned (see World.SetProvisioned)
	held    int32 // slots held by attempts waiting on their calls (calls.go)
	conc    int32 // effective service slots

	serving []uint32 // jobs in service (job indices; order is not meaningful)
	queue   ring     // jobs waiting, FIFO

	extra  sim.Time // effective extra latency
	slow   float64  // effective slowdown
	degrOK float64  // probability the degradations let a served request succeed

	busyArea   float64  // ∫ busy slots dt, slot·seconds, up to busyAt
	busyAt     sim.Time // when busyArea was last brought up to date
	lastActive sim.Time // when it last had a job in service

	// Served counts jobs this replica finished serving (success or error);
	// Errors those that ended in an error.
	Served, Errors uint64
	// LatencySum is the total time, in seconds, the jobs it finished spent
	// at it (queue and service): the latency sensor's input.
	LatencySum float64

	idle       []*scaleToZero // active scale-to-zero settings (the last applies)
	coldFactor float64        // cold-start warm-up (see World.Warm)

	// first buffers of serving and queue, inside the hot lines
	servingBuf [2]uint32
	queueBuf   [4]uint32

	// Cold: names, weights, faults' bookkeeping, rare counters.
	Name    string
	Weight  float64  // load-balancing weight
	UpSince sim.Time // start of the run, or the last restart

	crashes, pauses int // faults holding the replica down or paused (they nest)

	degr      []*Degradation // active degradations, in the order applied
	capLeft   float64        // fraction of service slots left
	coldTau   sim.Time
	coldSince sim.Time

	// ColdStarts counts jobs that found it scaled to zero (see ScaleToZero).
	ColdStarts uint64
	// Wasted is the service time, in seconds, it spent on attempts whose
	// caller had already stopped waiting when service ended.
	Wasted float64

	_ [48]byte // to 384 bytes (see above)
}

// newReplica returns a replica whose serving list and queue start in its
// own hot lines.
func newReplica(r Replica) *Replica {
	p := new(Replica)
	*p = r
	p.serving = p.servingBuf[:0]
	p.queue.buf = p.queueBuf[:]
	return p
}

// BusyArea is ∫ (slots in service) dt from the start of the run to now,
// in slot·seconds: the integral behind utilisation measurements.
func (r *Replica) BusyArea(now sim.Time) float64 {
	return r.busyArea + float64(r.Busy())*(now-r.busyAt).Seconds()
}

// touch brings busyArea up to now; call it before the busy count changes.
func (r *Replica) touch(now sim.Time) {
	r.busyArea = r.BusyArea(now)
	r.busyAt = now
}

// InFlight is the number of jobs at the replica: in service plus queued.
func (r *Replica) InFlight() int { return r.Busy() + r.queue.len() }

// Busy is the number of jobs in service (occupying a slot, even if paused).
func (r *Replica) Busy() int { return len(r.serving) + int(r.held) }

// Queued is the number of jobs waiting.
func (r *Replica) Queued() int { return r.queue.len() }

// ring is a growable FIFO of job indices; its capacity is a power of two.
type ring struct {
	buf  []uint32
	head int32
	n    int32
}

func (q *ring) len() int { return int(q.n) }

func (q *ring) push(x uint32) {
	if int(q.n) == len(q.buf) {
		nb := make([]uint32, max(16, 2*len(q.buf)))
		for i := int32(0); i < q.n; i++ {
			nb[i] = q.buf[int(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[int(q.head+q.n)&(len(q.buf)-1)] = x
	q.n++
}

func (q *ring) pop() uint32 {
	x := q.buf[q.head]
	q.head = (q.head + 1) & int32(len(q.buf)-1)
	q.n--
	return x
}
