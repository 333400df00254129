package strategies

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/state"
)

const (
	srcCassandraYAML = "apache/cassandra conf/cassandra.yaml"
	srcDynamo        = "DeCandia et al., Dynamo, SOSP 2007"
	srcMemcache      = "Nishtala et al., Scaling Memcache at Facebook, NSDI 2013"
)

var consistencyLevels = []string{"one", "two", "three", "quorum", "all"}

// DataParams are a strategy's `data:` settings: how the replicas of the
// services that use the datastore coordinate their reads and writes
// (consistency levels, quorum kind, repair) and cache them. The defaults
// are Dynamo's (N, R, W) = (3, 2, 2) with Cassandra's strict quorums,
// blocking read repair, hinted handoff and timeouts.
var DataParams = sim.ParamSet{
	{Name: "read", Kind: sim.Enum, Default: "quorum", Choices: consistencyLevels, Description: "replicas that must answer a read (R): Cassandra consistency levels; quorum is ⌊N/2⌋+1", Source: srcDynamo + " §4.5 ((N,R,W) = (3,2,2)); Cassandra CL QUORUM"},
	{Name: "write", Kind: sim.Enum, Default: "quorum", Choices: consistencyLevels, Description: "replicas that must acknowledge a write (W)", Source: srcDynamo + " §4.5"},
	{Name: "quorum", Kind: sim.Enum, Default: "strict", Choices: []string{"strict", "sloppy"}, Description: "strict: only the key's N home replicas count (Cassandra); sloppy: the first N live nodes on the ring, stand-ins keep hinted copies (Dynamo §4.6)", Source: srcDynamo + " §4.6"},
	{Name: "read_repair", Kind: sim.Enum, Default: "blocking", Choices: []string{"blocking", "async", "none"}, Description: "when the replicas read disagree: write the newest back to the stale ones and wait (Cassandra 4.0 BLOCKING), send without waiting (Dynamo), or nothing", Source: "cassandra.apache.org/doc/latest/operating/read_repair.html"},
	boolean("hinted_handoff", true, "coordinators keep hints for unavailable replicas and replay them when they are back", srcCassandraYAML+" hinted_handoff_enabled"),
	dur("hint_window", 3*sim.Hour, 0.000001, "no hints for a replica unavailable longer than this", srcCassandraYAML+" max_hint_window (3h)"),
	{Name: "hint_throttle", Kind: sim.Float, Unit: "KiB/s", Default: 1024.0, Min: sim.Bound(0.001), Description: "hint replay rate per holder", Source: srcCassandraYAML + " hinted_handoff_throttle (1024KiB)"},
	dur("read_timeout", 5*sim.Second, 0.000001, "a read fails if its quorum has not answered by then", srcCassandraYAML+" read_request_timeout (5000ms)"),
	dur("write_timeout", 2*sim.Second, 0.000001, "a write fails if its quorum has not acknowledged by then", srcCassandraYAML+" write_request_timeout (2000ms)"),
	{Name: "read_from", Kind: sim.Enum, Default: "primary", Choices: []string{"primary", "nearest", "replica"}, Description: "primary-replica stores: where reads go (replica: a random live replica other than the primary, read scaling)"},
	dur("cache_ttl", 0, 0, "a read-through cache at each coordinating replica answers reads until its entry is this old; 0: no cache", ""),
	boolean("invalidation", true, "with a cache: every acknowledged write broadcasts a delete of its key to every cache (the writer deletes its own entry either way)", srcMemcache+" (mcsqueal deletes)"),
}

// DataPolicy compiles complete `data:` parameters.
func DataPolicy(p sim.Params) data.Policy {
	level := map[string]int{"one": 1, "two": 2, "three": 3, "quorum": 0, "all": -1}
	pol := data.Policy{
		Read: level[p.String("read")], Write: level[p.String("write")],
		Sloppy: p.String("quorum") == "sloppy", Hints: p.Bool("hinted_handoff"),
		HintWindow: p.Duration("hint_window"), HintThrottle: p.Float("hint_throttle") * 1024,
		ReadRepair:  map[string]data.ReadRepair{"blocking": data.RepairBlocking, "async": data.RepairAsync, "none": data.RepairNone}[p.String("read_repair")],
		ReadTimeout: p.Duration("read_timeout"), WriteTimeout: p.Duration("write_timeout"),
		ReadFrom: map[string]data.ReadFrom{"primary": data.FromPrimary, "nearest": data.FromNearest, "replica": data.FromReplica}[p.String("read_from")],
		CacheTTL: p.Duration("cache_ttl"), Invalidate: p.Bool("invalidation"),
	}
	return pol
}

// DefaultDataPolicy is DataPolicy of the defaults.
func DefaultDataPolicy() data.Policy { return DataPolicy(DataParams.Defaults()) }

// AntiEntropyConfig configures the gossip anti-entropy repairer.
type AntiEntropyConfig struct {
	Interval sim.Time // one exchange per replica per interval
	Aligned  bool     // every replica's cycle ticks at the same instants (synchronous rounds); otherwise at a random phase
	Method   data.RepairMethod
	Depth    int     // Merkle tree depth
	Chunk    int     // checksum: keys per chunk
	Push     bool    // the initiator sends its newer values
	Pull     bool    // the peer sends its newer values
	HashSize int     // bytes per hash
	Stream   float64 // streaming throughput, bytes/s
}

// AntiEntropy is Demers et al.'s anti-entropy (PODC 1987) as memberlist
// and Dynamo run it: every Interval each replica picks a peer uniformly at
// random among those it shares key ranges with and reconciles with it —
// push, pull or push-pull — comparing Merkle trees (Dynamo §4.7,
// Cassandra's depth 15) or flat per-chunk checksums. With Push only and
// aligned cycles this is the random phone-call push model, which informs
// all n replicas in log₂n + ln n + O(1) rounds (Frieze and Grimmett 1985;
// Pittel 1987).
type AntiEntropy struct {
	cfg AntiEntropyConfig
	rng *rand.Rand
}

// NewAntiEntropy returns a gossip anti-entropy repairer.
func NewAntiEntropy(cfg AntiEntropyConfig, rng *rand.Rand) *AntiEntropy {
	return &AntiEntropy{cfg: cfg, rng: rng}
}

// Step implements data.Repairer.
func (a *AntiEntropy) Step(now sim.Time, v data.RepairView, ev data.RepairEvent, out []data.RepairAction) []data.RepairAction {
	switch ev.Kind {
	case data.RepairStart:
		first := a.cfg.Interval
		if !a.cfg.Aligned {
			first = sim.Time(a.rng.Float64() * float64(a.cfg.Interval))
		}
		return append(out, data.RepairAction{Kind: data.RepairSetTimer, After: first})
	case data.RepairTimer:
		if n := v.Peers(); n > 0 {
			out = append(out, data.RepairAction{Kind: data.RepairSync, Peer: v.Peer(a.rng.IntN(n)), Method: a.cfg.Method,
				Depth: a.cfg.Depth, ChunkKeys: a.cfg.Chunk, Push: a.cfg.Push, Pull: a.cfg.Pull, HashSize: a.cfg.HashSize, Throughput: a.cfg.Stream})
		}
		return append(out, data.RepairAction{Kind: data.RepairSetTimer, After: a.cfg.Interval})
	}
	return out
}

// Migration is a schema-migration coordinator in the expand/contract
// style of pgroll (xataio/pgroll: `start` expands, `complete` contracts
// once clients have moved) and of Sato's ParallelChange: it writes a
// datastore's schema step by step, each step only when every schema the
// running code speaks (as the control plane observes the fleet's
// software versions) can read and write at it by the compatibility
// matrix — so no contract step happens until every reader and writer is
// upgraded. It re-checks every Interval (rollouts do not notify it) and
// on every informer event; other keys are synced whenever seen out of
// sync, one reconcile per item at a time.
type Migration struct {
	Interval sim.Time
	busy     []bool
	scratch  []state.Version
}

const timerMigration = 0

// Step implements state.Reconciler.
func (m *Migration) Step(now sim.Time, v state.ReconcileView, ev state.ReconcileEvent, out []state.ReconcileAction) []state.ReconcileAction {
	for len(m.busy) < v.Items() {
		m.busy = append(m.busy, false)
	}
	switch ev.Kind {
	case state.RecStart:
		out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerMigration, After: m.Interval})
	case state.RecTimer:
		out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerMigration, After: m.Interval})
	case state.RecDone:
		if ev.Item >= 0 {
			m.busy[ev.Item] = false
		}
	}
	sv, _ := v.(state.SchemaView)
	gate := state.Version(0)
	if sv != nil {
		gate = m.gate(v, sv)
	}
	for i := 0; i < v.Items(); i++ {
		if m.busy[i] {
			continue
		}
		if sv != nil {
			if obs, want, ok := sv.Schema(i); ok {
				if step := min(want, gate); step > obs {
					m.busy[i] = true
					out = append(out, state.ReconcileAction{Kind: state.RecSync, Item: int32(i), Schema: step})
				}
				continue
			}
		}
		if v.OutOfSync(i) {
			m.busy[i] = true
			out = append(out, state.ReconcileAction{Kind: state.RecSync, Item: int32(i)})
		}
	}
	return out
}

// gate is the highest schema the fleet can step to: from the lowest
// schema any item holds, each further step while every running code
// schema can both read and write at it.
func (m *Migration) gate(v state.ReconcileView, sv state.SchemaView) state.Version {
	from, to, any := state.Version(0), state.Version(0), false
	for i := 0; i < v.Items(); i++ {
		if obs, want, ok := sv.Schema(i); ok {
			if !any || obs < from {
				from = obs
			}
			to = max(to, want)
			any = true
		}
	}
	if !any {
		return 0
	}
	m.scratch = sv.Speakers(m.scratch[:0])
	g := from
	for next := from + 1; next <= to; next++ {
		for _, c := range m.scratch {
			if w, r := sv.Compat(c, next); w != state.CompatOK || r != state.CompatOK {
				return g
			}
		}
		g = next
	}
	return g
}

const (
	srcPgroll = "xataio/pgroll (start expands, complete contracts); Sato, ParallelChange (martinfowler.com/bliki/ParallelChange.html)"
	srcDemers = "Demers et al., Epidemic Algorithms for Replicated Database Maintenance, PODC 1987"
)

// dataReconcilerDefs are the data layer's reconcilers (the reconciler: key
// of a strategy).
var dataReconcilerDefs = []*ControlDef{
	{
		Name:        "anti-entropy",
		Description: "gossip anti-entropy between data replicas: every interval each replica reconciles with a random peer (push-pull by default), comparing Merkle trees or per-chunk checksums and streaming the keys of differing ranges",
		Source:      srcDemers + "; " + srcDynamo + " §4.7; hashicorp/memberlist push-pull; Cassandra repair (MerkleTree.java)",
		Params: sim.ParamSet{
			dur("interval", 30*sim.Second, 0.001, "time between a replica's exchanges", "hashicorp/memberlist DefaultLANConfig PushPullInterval (30 s)"),
			{Name: "phase", Kind: sim.Enum, Default: "random", Choices: []string{"random", "aligned"}, Description: "random: each replica's cycle starts at a random point of the first interval; aligned: all tick together (synchronous rounds)"},
			{Name: "direction", Kind: sim.Enum, Default: "push-pull", Choices: []string{"push-pull", "push", "pull"}, Description: "which side sends its values of the differing keys", Source: srcDemers},
			{Name: "method", Kind: sim.Enum, Default: "merkle", Choices: []string{"merkle", "checksum"}, Description: "merkle: descend hash trees into differing subtrees; checksum: one checksum per chunk of keys"},
			{Name: "depth", Kind: sim.Int, Unit: "levels", Default: int64(15), Min: sim.Bound(1), Max: sim.Bound(30), Description: "Merkle tree depth over each key range (a leaf with one key is not split further)", Source: "Cassandra repair: depth 15, 32 768 leaves"},
			{Name: "chunk_keys", Kind: sim.Int, Unit: "keys", Default: int64(1000), Min: sim.Bound(1), Description: "checksum method: keys per chunk", Source: "Percona pt-table-checksum --chunk-size (1000)"},
			{Name: "hash_size", Kind: sim.Int, Unit: "bytes", Default: int64(32), Min: sim.Bound(1), Description: "bytes per hash exchanged", Source: "apache/cassandra utils/MerkleTree.java HASH_SIZE (2×MurmurHash3-128 = 32 bytes)"},
			{Name: "stream_throughput", Kind: sim.Float, Unit: "MiB/s", Default: 24.0, Min: sim.Bound(0.001), Description: "streaming rate of repaired values", Source: srcCassandraYAML + " stream_throughput_outbound (24MiB/s)"},
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := AntiEntropyConfig{Interval: p.Duration("interval"), Aligned: p.String("phase") == "aligned",
				Depth: int(p.Int("depth")), Chunk: int(p.Int("chunk_keys")), HashSize: int(p.Int("hash_size")), Stream: p.Float("stream_throughput") * (1 << 20)}
			switch p.String("direction") {
			case "push":
				cfg.Push = true
			case "pull":
				cfg.Pull = true
			default:
				cfg.Push, cfg.Pull = true, true
			}
			if p.String("method") == "checksum" {
				cfg.Method = data.RepairChecksum
			}
			c.Repair = func(rng *rand.Rand) data.Repairer { return NewAntiEntropy(cfg, rng) }
			return nil
		},
	},
	{
		Name:        "migration",
		Description: "a schema-migration coordinator: steps the datastore's schema (expand, then contract) only as far as every schema the running code speaks can read and write; other keys are synced when out of sync",
		Source:      srcPgroll,
		Params: sim.ParamSet{
			dur("interval", 10*sim.Second, 0.001, "how often it re-checks the fleet's versions (rollouts do not notify it)", "kubelet nodeStatusUpdateFrequency (10 s): how fresh the observed versions are"),
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			iv := p.Duration("interval")
			c.Reconciler = func(*rand.Rand) state.Reconciler { return &Migration{Interval: iv} }
			return nil
		},
	},
}
