package state

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Keys of desired state, what every node actually holds, and the specs that
// describe them.

// Version numbers the values of one key in the order the desired store
// assigned them: 1 is the initial value, 0 means "nothing applied".
type Version uint32

// KeyKind is what a key of desired state describes.
type KeyKind uint8

const (
	Software KeyKind = iota // a service's software version: changed by rollouts, never by channels
	Config                  // a configuration resource: an xDS resource, an env/secret set, a ConfigMap
	Flag                    // a feature flag's rules, evaluated server-side (replicas) or client-side (callers)
	Schema                  // a datastore's schema version (the DDL its data replicas have applied; see schema.go)
	Price                   // reserved: a price table as configuration (the data layer keeps prices as data keys)
	// Route is a routing config a controller writes and the data plane
	// (an edge, a client's sidecars) receives by its channel: created by
	// the routing control plane (topology/routectl), never declared. It stays
	// out of request stamping, divergence and reconciliation.
	Route
)

var keyKindNames = [...]string{"software", "config", "flag", "schema", "price", "route"}

func (k KeyKind) String() string {
	if int(k) < len(keyKindNames) {
		return keyKindNames[k]
	}
	return "kind(?)"
}

// ParseKeyKind maps a kind's name to the KeyKind.
func ParseKeyKind(s string) (KeyKind, error) {
	if i := slices.Index(keyKindNames[:], s); i >= 0 {
		return KeyKind(i), nil
	}
	return 0, fmt.Errorf("unknown key kind %q", s)
}

// KeySpec declares one key of desired state held by the replicas of a
// service (or, for flags evaluated client-side, by the SDKs of the callers
// that target it).
type KeySpec struct {
	Name    string
	Kind    KeyKind // Config, Flag, or Schema (held by the datastore's replicas)
	Service int     // index into Spec.Services: whose replicas hold it
	// Channel is how holders receive desired changes (ChannelNone: only
	// reconcilers write the key, as a controller manages Kubernetes objects).
	Channel ChannelSpec
	// ClientChannel is how caller SDKs receive a flag evaluated client-side.
	ClientChannel ChannelSpec
	// Size is the bytes one write of the value carries, for repair costs.
	Size int
	// StaleErrorRate is the probability that a request served with a value
	// other than the desired one fails (a rotated secret that was revoked:
	// 1; a cosmetic setting: 0).
	StaleErrorRate float64
}

// VersionSpec gives a software version of a service its behaviour.
type VersionSpec struct {
	Service      int
	Version      Version
	ErrorRate    float64  // probability a request it serves fails, replacing the service's error rate
	HasErrorRate bool     // ErrorRate is set
	ReadyAfter   sim.Time // from pod start until it passes readiness; 0: DefaultReadyAfter
	Schema       Version  // the datastore schema its code reads and writes; 0: 1
}

// DefaultReadyAfter is how long a new pod takes to become ready when its
// version does not say: container start plus the first successful readiness
// probe (Kubernetes has no default; 10 s is a typical small service).
const DefaultReadyAfter = 10 * sim.Second

// ChangeSpec is a change of desired state at a time: a key bumped to a new
// version (a config push, a flag flip), or a service deployed at a new
// software version (a rollout).
type ChangeSpec struct {
	At      sim.Time
	Key     int     // index into Spec.Keys, or -1 for a deploy
	Service int     // for a deploy: the service
	Version Version // the new version; 0 means the next one
	Invalid bool    // holders reject this version (an xDS NACK): they keep their last good value
	Every   sim.Time
	// Every > 0 repeats the change (a new version each time) until the run's
	// horizon: steady churn of desired state.
}

// ControlPlaneSpec places the control plane: the store (API server and
// config store: the lease, the objects controllers write, the xDS server)
// and the members that run controllers.
type ControlPlaneSpec struct {
	Store topology.PlaceID // where the store runs
	// Service is the index into Spec.Services of the control-plane service
	// whose replicas are the members (candidates for leadership, running
	// reconcilers and rollouts); -1 means one implicit controller at Store
	// that never fails and always leads.
	Service int
	// Work is the processing time of one reconcile of one item on a member
	// (the part of a controller's loop between reading its cache and
	// writing); 0 means 10 ms.
	Work sim.Time
}

// Spec is a world's desired-vs-actual state model. A nil *Spec in
// Spec means the world has none.
type Spec struct {
	Keys     []KeySpec
	Versions []VersionSpec
	Changes  []ChangeSpec
	Control  ControlPlaneSpec
	// ReportInterval is how often every replica reports its state to the
	// control plane (kubelet nodeStatusUpdateFrequency: 10 s); 0 means 10 s.
	ReportInterval sim.Time
	// Routes adds the routing control plane: an edge node per edge and a
	// route key per client's sidecars and per edge (see routes.go).
	Routes bool
}

// Value is what a node holds for one key.
type Value struct {
	Version Version
	Foreign bool // written by someone other than the control plane (drift): never equal to any desired value
}

// Key is one key of desired state at run time: its spec, its desired
// version and the history of desired versions, and its holders.
type Key struct {
	ID      int
	Name    string
	Kind    KeyKind
	Service *topology.Service
	Spec    KeySpec

	desired Version
	prev    Version     // the desired version before the last change
	history []desiredAt // ascending in time; history[0] is the initial version at time 0
	invalid []bool      // by version: holders NACK it
	latest  Version     // highest version ever assigned

	slot    int      // bit of Served.Stale for this key (0 is the service's software)
	holders []*Node  // nodes that hold it (assigned by Configure)
	client  bool     // a flag evaluated client-side: held by caller SDKs
	owner   KeyOwner // Route keys: the layer that owns their meaning (Own)
	behind  int      // holders not at the desired value
	push    pushState
	pending []pendingChange // desired changes not yet held by every holder
}

type desiredAt struct {
	At      sim.Time
	Version Version
}

type pendingChange struct {
	at      sim.Time
	version Version
	holding int // holders at this version or later
}

// Desired is the key's desired version now.
func (k *Key) Desired() Version { return k.desired }

// DesiredAt is the key's desired version at time t (the last change at or
// before t). O(1) for t after the last change, O(log changes) otherwise.
func (k *Key) DesiredAt(t sim.Time) Version {
	h := k.history
	if last := h[len(h)-1]; t >= last.At {
		return last.Version
	}
	i, found := slices.BinarySearchFunc(h, t, func(d desiredAt, t sim.Time) int {
		switch {
		case d.At < t:
			return -1
		case d.At > t:
			return 1
		}
		return 0
	})
	if found {
		for i+1 < len(h) && h[i+1].At == t {
			i++
		}
		return h[i].Version
	}
	if i == 0 {
		return h[0].Version
	}
	return h[i-1].Version
}

// Valid reports whether holders accept version v (false: they NACK it).
func (k *Key) Valid(v Version) bool {
	if k.owner != nil {
		return k.owner.Valid(k, v)
	}
	return int(v) >= len(k.invalid) || !k.invalid[v]
}

// Holders lists the nodes that hold the key.
func (k *Key) Holders() []*Node { return k.holders }

// Behind is the number of holders not at the desired value.
func (k *Key) Behind() int { return k.behind }

// matches reports whether a held value is the desired one.
func (k *Key) matches(v Value) bool { return !v.Foreign && v.Version == k.desired }

// Node is a participant of the state model: a replica (of a service, or a
// control-plane member), a caller's client-side SDK, or the implicit
// controller. It has a place, a modelled clock and, for holders, a value
// per key. A replica node's up/down/paused state is its replica's.
type Node struct {
	ID      int32
	Name    string
	Place   topology.PlaceID
	Replica *topology.Replica // nil for caller SDKs and the implicit controller
	Caller  *topology.Caller  // the caller whose SDK this is, for client-side flags
	Edge    *topology.Edge    // the edge this node is (routing control plane), or nil
	Clock   Clock

	values []Value    // per key ID
	links  []*link    // per key ID: the channel the node receives it by (nil when it does not hold it)
	held   []*Key     // keys it holds, software first
	off    int        // held keys whose value is not the desired one
	member *member    // for control-plane members and the implicit controller
	item   int32      // index among reconcile items (replicas holding config or flags), -1 otherwise
	slot   *slotState // for replicas of serving services: rollout state

	epoch    uint32         // bumped on every crash: work of a dead process is discarded
	deferred []topology.Ref // tasks that came due while paused, in order
	cut      int            // control-plane partitions holding it
	gap      int            // telemetry gaps hiding it
	lost     []uint16       // per key: config-skew faults losing its updates
	late     []sim.Time
	syncFail []uint16 // per key: SDK sync failures
	pin      []uint16 // per key: schema-mismatch faults holding its value
}

// Value is what the node holds for key k.
func (n *Node) Value(k *Key) Value { return n.values[k.ID] }

// Software is the software version a replica node runs (0 for others).
func (n *Node) Software() Version {
	if len(n.held) == 0 || n.held[0].Kind != Software {
		return 0
	}
	return n.values[n.held[0].ID].Version
}

// Coherent reports whether every key the node holds is at its desired value.
func (n *Node) Coherent() bool { return n.off == 0 }

// Paused reports whether the node's process is stalled.
func (n *Node) Paused() bool { return n.Replica != nil && n.Replica.State == topology.Paused }

// Down reports whether the node's process is not running.
func (n *Node) Down() bool { return n.Replica != nil && n.Replica.State == topology.Down }

// Cut reports whether the node is partitioned from the control plane.
func (n *Node) Cut() bool { return n.cut > 0 }

// Served records what served a request: the serving replica's software
// version and which parts of the state that served it were not the desired
// state at the request's arrival. Client-side flags are judged on the
// request's caller SDK.
type Served struct {
	Software Version // the serving replica's software version; 0 if no replica answered
	// Stale has bit 0 set when the software version was not the desired one,
	// and bit i when the service's i-th key (in declaration order) was not.
	Stale uint32
}

// Consistent reports whether the request was served entirely by the
// desired state at its arrival: no stale key or version. (The data layer
// judges its reads separately: data.Served.Consistent.)
func (s Served) Consistent() bool { return s.Stale == 0 }
