package topology

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// Endpoints is what one decider (a caller sidecar or an edge) sees of the
// hosts it may choose between. Indices run from 0 to Len()-1 and are only
// meaningful for the duration of one Pick.
type Endpoints interface {
	// Len is the number of hosts to choose from.
	Len() int
	// Load is the host's load as this decider sees it: its own outstanding
	// requests, the signal bus's aged measurement, or the live truth,
	// depending on the routing's LoadSource. Never negative.
	Load(i int) float64
	// Weight is the host's configured weight (1 when unweighted).
	Weight(i int) float64
	// Healthy reports whether the decider believes the host can serve:
	// it is not down and this decider has not ejected it.
	Healthy(i int) bool
	// HealthyCount is the number of hosts for which Healthy is true, in O(1).
	HealthyCount() int
	// ID is a stable identity for the host (the same across picks and
	// membership changes), for hash-based pickers.
	ID(i int) int
	// Priority is the host's priority level for this decider: 0 in the
	// decider's zone, 1 elsewhere in its region, 2 in other regions (the
	// zone → region → anywhere failover order Istio assigns by default).
	Priority(i int) int
	// Locality identifies the host's zone (a PlaceID), for
	// locality-weighted balancing.
	Locality(i int) int
	// Since is when the host last came up (start of the run, or its last
	// restart), for slow start.
	Since(i int) sim.Time
	// Report is the host's latest load report delivered by the signal bus
	// (in-flight, utilisation, queries and errors per second, with the time
	// it was measured), as ORCA-style weighted pickers consume it.
	Report(i int) Signal
	// Generation changes whenever any host's health or membership changes,
	// so pickers can cache what they derive from it.
	Generation() uint64
}

// Picker chooses a host for one request. Implementations keep their own
// state (a round-robin cursor, EWMAs) and random stream; each decider gets
// its own Picker, as each Envoy worker has its own load balancer.
type Picker interface {
	// Pick returns the index in eps of the chosen host, or -1 when there is
	// no host to send the request to.
	Pick(now sim.Time, eps Endpoints, req *Request) int
}

// Fallback says how a pick was made when the decider could not route the
// normal way.
type Fallback uint8

const (
	FallbackNone     Fallback = iota // routed normally
	FallbackFailover                 // sent to a lower priority because the preferred one lacked healthy capacity
	FallbackPanic                    // routed among all hosts, healthy or not (Envoy's panic mode)
)

var fallbackNames = [...]string{"none", "failover", "panic"}

func (f Fallback) String() string {
	if int(f) < len(fallbackNames) {
		return fallbackNames[f]
	}
	return "fallback(?)"
}

// FallbackReporter is an optional Picker ability: it tells how its last
// Pick was made (failover, panic), for the fallback_rate metric.
type FallbackReporter interface {
	LastFallback() Fallback
}

// PickerFunc adapts a function to Picker.
type PickerFunc func(now sim.Time, eps Endpoints, req *Request) int

// Pick calls f.
func (f PickerFunc) Pick(now sim.Time, eps Endpoints, req *Request) int { return f(now, eps, req) }

// NewPicker makes the picker for one decider, given the decider's own
// random stream.
type NewPicker func(rng *rand.Rand) Picker

// LoadSource is where a decider's view of host load comes from: the crux of
// stale-information herding.
type LoadSource uint8

const (
	// LoadLocal is the decider's own outstanding requests to each host:
	// every sidecar decides alone, as Envoy's least-request does.
	LoadLocal LoadSource = iota
	// LoadSignal is the signal bus's last delivered measurement of each
	// host's in-flight requests, aged by the bus's interval and delay.
	LoadSignal
	// LoadLive is the true in-flight count at the instant of the pick: an
	// idealised, instantly-informed decider (the supermarket model).
	LoadLive
)

var loadSourceNames = [...]string{"local", "signal", "live"}

func (s LoadSource) String() string {
	if int(s) < len(loadSourceNames) {
		return loadSourceNames[s]
	}
	return "load(?)"
}

// ParseLoadSource maps "local", "signal" or "live" to a LoadSource.
func ParseLoadSource(s string) (LoadSource, error) {
	for i, n := range loadSourceNames {
		if n == s {
			return LoadSource(i), nil
		}
	}
	return 0, fmt.Errorf("unknown load source %q (want local, signal or live)", s)
}

// Routing is how a world's deciders choose: one picker per caller sidecar
// (over the target's replicas) and one per edge (over clusters), and where
// their view of load comes from.
type Routing struct {
	Caller NewPicker  // required
	Edge   NewPicker  // required when any client routes through an edge
	Load   LoadSource // for both callers and edges
	// PanicThreshold is Envoy's healthy_panic_threshold (0..1): when fewer
	// than this fraction of a caller's hosts are healthy, every host becomes
	// eligible, healthy or not (Envoy default 0.5; 0 disables, as Istio's
	// minHealthPercent does). Pickers implementing PanicHandler apply it
	// themselves.
	PanicThreshold float64
	Guards         []NewGuard  // one of each per caller
	Retry          RetryPolicy // zero value: no retries
	Hedge          HedgePolicy // zero value: no hedging (hedge.go)
	// Deadlines propagates deadlines, as gRPC does: a replica starts no
	// work for an attempt its caller has stopped waiting for, and a
	// service's calls wait no longer than what remains of the deadline of
	// the request it serves (the client's timeout, or its own call's).
	Deadlines bool
	// PerService overrides the picker, retry policy or guards of the
	// sidecars that call the named service (its clients' and its
	// callers'), or, keyed FROM->TO, those of one call edge (which wins
	// over its callee's); the defaults above apply everywhere else.
	PerService map[string]ServiceRouting
}

// PanicHandler is an optional Picker ability: a picker that applies the
// panic threshold itself (per priority level, as Envoy's locality-aware
// balancing does, or while rebuilding a hash ring) is given the routing's
// threshold and sees the true health of every host.
type PanicHandler interface {
	SetPanicThreshold(t float64)
}

// Caller is a sidecar of a calling instance: an independent decider with
// its own outstanding-request counts and its own picker.
type Caller struct {
	ID     int32 // index into World.Callers
	Client *Client
	Place  PlaceID
	Picker Picker

	inflight loadCounts // this caller's outstanding attempts per replica of the target
	active   int        // outstanding attempts over all replicas
	retries  int        // retries in flight or scheduled (against the retry limit)
	guards   []Guard
	rng      *rand.Rand   // retry back-off jitter
	pol      *RetryPolicy // a per-service retry policy; nil: the routing's
	hedge    *HedgePolicy // a per-service hedge policy; nil: the routing's
	ownPanic bool         // the picker applies the panic threshold itself
	ejected  []bool       // replicas this caller's guards have ejected; nil until the first
	prio     []int8       // priority of each replica relative to the caller's place (shared: callerShare)
	healthy  []int        // healthy replicas per cluster, as this caller sees them
	views    []hostView
	all      hostView
	route    []float64 // routing weights per replica applied by a controller; nil: the replicas' own
	routeOut []int     // per cluster: replicas the routing weights exclude (weight 0)
}

// excluded reports whether the routing weights exclude replica index i.
func (c *Caller) excluded(i int32) bool { return c.route != nil && c.route[i] <= 0 }

// candidates is the number of hosts of the view the routing weights do
// not exclude.
func (v *hostView) candidates() int {
	n := len(v.hosts) - v.unprovisioned()
	if v.c.route == nil {
		return n
	}
	if v.cluster >= 0 {
		return n - v.c.routeOut[v.cluster]
	}
	for _, k := range v.c.routeOut {
		n -= k
	}
	return n
}

// Ejected reports whether this caller has ejected replica index i of its
// target (see World.SetEjected).
func (c *Caller) Ejected(i int) bool { return c.isEjected(int32(i)) }

// healthyHosts counts the replicas this caller sees as healthy: all of
// them (cluster < 0) or those of one cluster.
func (c *Caller) healthyHosts(cluster int) int {
	if cluster >= 0 {
		return c.healthy[cluster]
	}
	n := 0
	for _, k := range c.healthy {
		n += k
	}
	return n
}

// InFlight is this caller's outstanding attempts to replica index i of its
// client's target service.
func (c *Caller) InFlight(i int) int { return int(c.inflight.get(int32(i))) }

// hostView is a caller's Endpoints over a subset of the target's replicas:
// all of them, or one cluster's.
type hostView struct {
	w       *World
	c       *Caller
	svc     *Service
	hosts   []int32 // indices into svc.Replicas
	cluster int     // the cluster, or -1 for all replicas
	panic   bool    // set for the duration of a pick in panic mode
}

func (v *hostView) Len() int { return len(v.hosts) }

func (v *hostView) Load(i int) float64 {
	h := v.hosts[i]
	switch v.w.routing.Load {
	case LoadSignal:
		return v.w.Bus.boards[v.svc.ID][h].Value
	case LoadLive:
		return float64(v.svc.Replicas[h].InFlight())
	}
	return float64(v.c.inflight.get(h))
}

// Weight is the routing weight a controller applied to the host, or the
// host's configured weight when none did.
func (v *hostView) Weight(i int) float64 {
	if v.c.route != nil {
		return v.c.route[v.hosts[i]]
	}
	return v.svc.Replicas[v.hosts[i]].Weight
}

// Healthy: a host the routing weights exclude (weight 0, as an Istio route
// weight of 0 excludes a subset) or not provisioned (World.SetProvisioned)
// is never a candidate, not even in panic.
func (v *hostView) Healthy(i int) bool {
	h := v.hosts[i]
	if v.c.excluded(h) {
		return false
	}
	rep := v.svc.Replicas[h]
	return !rep.off && (v.panic || rep.State != Down && !v.c.isEjected(h))
}

func (v *hostView) HealthyCount() int {
	if v.panic {
		return v.candidates()
	}
	return v.c.healthyHosts(v.cluster)
}

func (v *hostView) ID(i int) int { return int(v.svc.Replicas[v.hosts[i]].ID) }

func (v *hostView) Priority(i int) int { return int(v.c.prio[v.hosts[i]]) }

func (v *hostView) Locality(i int) int { return int(v.svc.Replicas[v.hosts[i]].Place) }

func (v *hostView) Since(i int) sim.Time { return v.svc.Replicas[v.hosts[i]].UpSince }

func (v *hostView) Report(i int) Signal { return v.w.Bus.boards[v.svc.ID][v.hosts[i]] }

func (v *hostView) Generation() uint64 { return v.w.healthGen }

// Edge is a gateway in front of a client population that picks a cluster
// (region) of the target service before the caller picks a replica in it.
type Edge struct {
	Client   *Client
	Picker   Picker
	inflight []int32 // outstanding attempts per cluster, as this edge counts them
	view     clusterView
	route    []float64 // routing weights per cluster applied by a controller; nil: by replica count
}

// clusterView is an edge's Endpoints over the target's clusters. A
// cluster's load is the sum over its replicas; it is healthy while any
// replica is.
type clusterView struct {
	w   *World
	e   *Edge
	svc *Service
}

func (v *clusterView) Len() int { return len(v.svc.Clusters) }

func (v *clusterView) Load(i int) float64 {
	cl := v.svc.Clusters[i]
	switch v.w.routing.Load {
	case LoadSignal:
		sum := 0.0
		for _, h := range cl.Replicas {
			sum += v.w.Bus.boards[v.svc.ID][h].Value
		}
		return sum
	case LoadLive:
		sum := 0
		for _, h := range cl.Replicas {
			sum += v.svc.Replicas[h].InFlight()
		}
		return float64(sum)
	}
	return float64(v.e.inflight[i])
}

// Weight is the routing weight a controller applied to the cluster, or its
// number of replicas when none did.
func (v *clusterView) Weight(i int) float64 {
	if v.e.route != nil {
		return v.e.route[i]
	}
	cl := &v.svc.Clusters[i]
	return float64(len(cl.Replicas) - cl.Off)
}

// Healthy: a cluster is a candidate while any replica is up and the
// routing weights do not exclude it.
func (v *clusterView) Healthy(i int) bool {
	return v.svc.Clusters[i].Up > 0 && (v.e.route == nil || v.e.route[i] > 0)
}

func (v *clusterView) HealthyCount() int {
	n := 0
	for i := range v.svc.Clusters {
		if v.Healthy(i) {
			n++
		}
	}
	return n
}

func (v *clusterView) ID(i int) int { return i }

// Priority of a cluster: 0 for the edge's own region, 1 for the others.
func (v *clusterView) Priority(i int) int {
	if v.svc.Clusters[i].Region == v.w.Places[v.e.Client.Spec.Place].Region {
		return 0
	}
	return 1
}

// Locality of a cluster is its index (a cluster is one region).
func (v *clusterView) Locality(i int) int { return i }

// Since is the latest restart among the cluster's replicas.
func (v *clusterView) Since(i int) sim.Time {
	var t sim.Time
	for _, h := range v.svc.Clusters[i].Replicas {
		t = max(t, v.svc.Replicas[h].UpSince)
	}
	return t
}

// Report sums the cluster's replicas' reports (utilisation is averaged).
func (v *clusterView) Report(i int) Signal {
	var sum Signal
	hs := v.svc.Clusters[i].Replicas
	for _, h := range hs {
		s := v.w.Bus.boards[v.svc.ID][h]
		sum.Value += s.Value
		sum.Utilization += s.Utilization / float64(len(hs))
		sum.QPS += s.QPS
		sum.EPS += s.EPS
		sum.Emitted = max(sum.Emitted, s.Emitted)
		sum.Valid = sum.Valid || s.Valid
	}
	return sum
}

func (v *clusterView) Generation() uint64 { return v.w.healthGen }
