package routectl

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// The decision-engine plug point. Entanglement routing as the seed
// document draws it (sensors → signal bus → decision engines → policy
// layer → actuators → observability and audit): every evaluation, an actor
// (a controller, an edge, a sidecar) gathers the signals it sees into an
// Observation, an Engine turns it into a Decision (routing weights, as
// data), the Policy layer filters it, and the actuator applies it after
// its delay — locally, or as a versioned config pushed to the data plane
// through the state model's channels (routectl.go). Every decision leaves
// one AuditEntry.

// SignalKind names one signal a reading carries.
type SignalKind uint8

const (
	SigLoad      SignalKind = iota // in-flight requests
	SigUtil                        // utilisation of the service slots, 0..1
	SigLatency                     // latency EWMA, seconds
	SigErrors                      // error rate, 0..1
	SigCost                        // cost per request as the cost signal reports it
	SigBilled                      // cost per request as billing meters it
	SigThreat                      // threat score, 0..1
	SigLag                         // replication lag, seconds
	SigUnhealthy                   // fraction of the target's replicas reported not up, 0..1
	NumSignals
)

var signalNames = [...]string{"load", "utilization", "latency", "error_rate", "cost", "billed", "threat", "lag", "unhealthy"}

func (k SignalKind) String() string {
	if int(k) < len(signalNames) {
		return signalNames[k]
	}
	return "signal(?)"
}

// SignalNames lists the signals' names in SignalKind order.
func SignalNames() []string { return signalNames[:] }

// Seen is the client-side view of a target over an evaluation period: the
// attempts the scope's sidecars sent it that ended, how many failed, and
// their mean round-trip time. It is a second source, independent of the
// replicas' sensors, for cross-source sanity checks.
type Seen struct {
	Requests float64
	Errors   float64
	Latency  float64 // mean round-trip time, seconds; 0 with no requests
}

// Reading is one target (a region for an edge, a replica for a sidecar)
// as the actor received it: its sensors' signals, all measured at Emitted,
// and the client-side view.
type Reading struct {
	Name     string // the region, or the replica's name
	Region   string
	Version  state.Version // replica targets: the software version it runs (0 for regions)
	Replicas int           // replicas the reading covers
	Distance float64       // mean one-way network latency from the scope's client to the target, seconds
	Signals  [NumSignals]float64
	Emitted  sim.Time // when its (oldest) signal was measured: the reading is now − Emitted old
	Valid    bool     // false until the target's first signal arrived
	Forged   bool     // some signal it fuses was forged (and accepted)
	Seen     Seen
}

// Age is how old the reading is at now (never negative).
func (r *Reading) Age(now sim.Time) sim.Time {
	if !r.Valid {
		return sim.Never
	}
	return max(0, now-r.Emitted)
}

// ScopeKind is what a decision weights.
type ScopeKind uint8

const (
	ScopeEdge    ScopeKind = iota // an edge's weights over the target service's regions (clusters)
	ScopeSidecar                  // sidecars' weights over the target service's replicas
)

var scopeNames = [...]string{"edge", "sidecar"}

func (k ScopeKind) String() string {
	if int(k) < len(scopeNames) {
		return scopeNames[k]
	}
	return "scope(?)"
}

// ParseScope maps "edge" or "sidecar" to a ScopeKind.
func ParseScope(s string) (ScopeKind, bool) {
	for i, n := range scopeNames {
		if n == s {
			return ScopeKind(i), true
		}
	}
	return 0, false
}

// RuleKind is what a policy rule does to routes.
type RuleKind uint8

const (
	RuleDeny     RuleKind = iota // no traffic to Region
	RuleAllow                    // traffic only to the listed regions (Regions)
	RuleRedirect                 // traffic meant for Region goes to To instead
	RuleCap                      // at most Share of the traffic to Region
)

var ruleNames = [...]string{"deny", "allow", "redirect", "cap"}

func (k RuleKind) String() string {
	if int(k) < len(ruleNames) {
		return ruleNames[k]
	}
	return "rule(?)"
}

// ParseRule maps a rule kind's name to the RuleKind.
func ParseRule(s string) (RuleKind, bool) {
	for i, n := range ruleNames {
		if n == s {
			return RuleKind(i), true
		}
	}
	return 0, false
}

// RuleKinds lists the rule kinds' names.
func RuleKinds() []string { return ruleNames[:] }

// Rule is one policy statement from one source: data the policy layer
// composes with the others by precedence.
type Rule struct {
	Source     string // who states it: residency, security, cost, or another team's policy
	Precedence int    // higher wins when rules conflict
	Kind       RuleKind
	Region     string   // the region it is about (deny, redirect, cap)
	Regions    []string // allow: the permitted regions
	To         string   // redirect: the region traffic goes to instead
	Share      float64  // cap: the largest share of traffic Region may get
	Client     string   // only this client's scopes; "" for every client
}

// Observation is what an engine sees at one evaluation.
type Observation struct {
	Now     sim.Time
	Actor   string // the deciding actor's identity
	Scope   ScopeKind
	Client  string    // whose traffic the decision routes
	Targets []Reading // one per target, in a fixed order
	// Current is the weights in effect as the actor knows them: the
	// config it last applied (sidecars) or the store's current config
	// (controllers); nil before any decision.
	Current []float64
	// Bounds are the weights a slow global controller pushed to a
	// hierarchical local loop (nil otherwise).
	Bounds []float64
	// Rate is the scope's request rate over the evaluation period, 1/s.
	Rate float64
	// Rules are the policy rules injected by faults (another source's
	// conflicting policy), for the policy layer.
	Rules []Rule
	// Skew multiplies a predictive engine's forecasts (model drift; 1 when
	// the model is sound).
	Skew float64
	// Residency lists the regions the client's data may be served in (nil:
	// anywhere), for a residency policy.
	Residency []string
}

// Decision is an engine's output, as data.
type Decision struct {
	Weights []float64 // one per target, ≥ 0, summing to 1; ignored when Hold
	// Hold keeps the weights in effect (hysteresis, or stale signals with a
	// last-known-good fallback).
	Hold bool
	// Fallback says why the decision was not made on fresh, sane signals:
	// "" (it was), "last-known-good", "static" or another engine-specific
	// reason.
	Fallback string
	Rejected int    // readings the engine's sanity checks rejected
	Uses     uint32 // bit k set when the decision read SignalKind k (for the audit trail)
	Note     string // a short explanation for the audit trail
}

// Reset clears d for reuse, keeping the weights' storage.
func (d *Decision) Reset(n int) {
	*d = Decision{Weights: grow(d.Weights[:0], n)}
}

func grow(s []float64, n int) []float64 {
	if cap(s) >= n {
		s = s[:n]
		clear(s)
		return s
	}
	return make([]float64, n)
}

// Engine is a decision engine: a pure function of what it observes (it
// may keep its own state across evaluations, such as EWMAs, last accepted
// readings or a forecaster's level and trend). It writes its decision into
// d, which arrives Reset to the number of targets.
type Engine interface {
	Decide(o *Observation, d *Decision)
}

// EngineFunc adapts a function to Engine.
type EngineFunc func(o *Observation, d *Decision)

// Decide calls f.
func (f EngineFunc) Decide(o *Observation, d *Decision) { f(o, d) }

// NewEngine makes the engine of one actor for one scope, given its own
// random stream.
type NewEngine func(rng *rand.Rand) Engine

// Verdict is what the policy layer did to a decision.
type Verdict struct {
	// Rejected: no route the policies allow (or, composing without
	// precedence, rules that contradict each other): the decision is
	// dropped and the data plane keeps its config.
	Rejected  bool
	Loops     int // redirect cycles found among the rules (route loops)
	Conflicts int // rules overridden by a higher-precedence source
	Note      string
}

// Policy is the policy layer: it filters an engine's decision (in place)
// before it is actuated.
type Policy interface {
	Filter(o *Observation, d *Decision) Verdict
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(o *Observation, d *Decision) Verdict

// Filter calls f.
func (f PolicyFunc) Filter(o *Observation, d *Decision) Verdict { return f(o, d) }

// Pattern is who runs the decision engines and how their output reaches
// the data plane: the seed document's control patterns.
type Pattern uint8

const (
	// PatternCentral: the control plane's leader (the implicit controller,
	// the first member, or the elected one) decides for every scope and
	// writes the config to the store, which pushes it to the data plane.
	PatternCentral Pattern = iota
	// PatternSidecar: every sidecar (or edge) decides alone on its own
	// view and applies its decision locally.
	PatternSidecar
	// PatternHierarchical: fast local loops on every sidecar (or edge)
	// decide within a band around the weights a slow global controller
	// pushes; cut off from the control plane they go on with the last
	// global weights they received.
	PatternHierarchical
	// PatternBrokered: central, but the controller reads a signal broker's
	// fused board, which the broker publishes every interval (and stops
	// publishing during a broker outage).
	PatternBrokered
	// PatternCompeting: every control-plane member decides and writes the
	// same config, uncoordinated (no leader).
	PatternCompeting
	// PatternOverlay: an edge layer (regions) and a mesh layer (replicas),
	// both central, acting on the same signals; coordinated, the mesh layer
	// waits for the edge layer's change to settle.
	PatternOverlay
)

var patternNames = [...]string{"central", "sidecar", "hierarchical", "brokered", "competing", "overlay"}

func (p Pattern) String() string {
	if int(p) < len(patternNames) {
		return patternNames[p]
	}
	return "pattern(?)"
}

// PatternNames lists the patterns' names.
func PatternNames() []string { return patternNames[:] }

// ParsePattern maps a pattern's name to the Pattern.
func ParsePattern(s string) (Pattern, bool) {
	for i, n := range patternNames {
		if n == s {
			return Pattern(i), true
		}
	}
	return 0, false
}

// Actuator is how decisions are applied.
type Actuator struct {
	// Delay is from a decision to its actuation (an API call, a config
	// render), on the actor's process.
	Delay sim.Time
	// MinInterval rate-limits actuation: an actor actuates at most once per
	// MinInterval; decisions in between are dropped (rate-limited).
	MinInterval sim.Time
	// Channel is how a controller's config reaches the data plane (push:
	// xDS-like, debounced, versioned, ACK/NACK, last known good).
	Channel state.ChannelSpec
}

// Breaker is the emergency circuit breaker: when the routing churn of the
// configs the controllers actuate (the total variation of each change,
// summed over Window) crosses Churn, automation halts for Hold and the
// last known good config (the one in effect before the churn window) is
// restored. Each trip counts as a manual intervention.
type Breaker struct {
	Churn  float64 // 0: no breaker
	Window sim.Time
	Hold   sim.Time
}

// Broker is the signal broker of the brokered pattern: it reads every
// sensor's latest report from the bus, fuses them into one board (in the
// simulation every sensor already reports in SI units with its region
// tagged, so normalisation is the identity and what is modelled is the
// broker's cadence, its processing delay and its failures) and publishes
// the board for the controllers. While it is down (BrokerOutage) the
// board ages.
type Broker struct {
	Interval sim.Time // between publications of the fused board
	Delay    sim.Time // processing time from reading the bus to publishing
}

// Control configures a world's routing control plane for one run.
type Control struct {
	Pattern Pattern
	Scope   ScopeKind // what the engines weight (overlay: the mesh layer is sidecar, the edge layer edge)
	Engine  NewEngine
	// Global is the hierarchical pattern's slow global engine, and the
	// overlay pattern's edge-layer engine; nil means Engine.
	Global         NewEngine
	Interval       sim.Time // between an actor's evaluations
	Jitter         float64  // each interval is drawn within ± this fraction of Interval
	GlobalInterval sim.Time // hierarchical: between the global controller's evaluations
	Band           float64  // hierarchical: local weights stay within this total-variation distance of the global ones
	Policy         Policy   // nil: no policy layer
	Actuator       Actuator
	Auth           bool // authenticated channels: forged signals and unsigned configs are rejected
	Breaker        Breaker
	Broker         Broker
	Coordinated    bool    // overlay: the layers take turns
	AuditSample    float64 // fraction of local (sidecar) decisions audited; 0 means all
	AuditLimit     int     // audit entries kept per run; 0 means 20000
}

// Validate reports an impossible setting.
func (rc *Control) Validate() error {
	switch {
	case rc.Engine == nil:
		return fmt.Errorf("routing control: no engine")
	case rc.Interval <= 0:
		return fmt.Errorf("routing control: interval must be positive")
	case !(rc.Jitter >= 0 && rc.Jitter < 1):
		return fmt.Errorf("routing control: jitter must be in [0, 1)")
	case rc.Pattern == PatternHierarchical && rc.GlobalInterval <= 0:
		return fmt.Errorf("routing control: the hierarchical pattern needs a positive global interval")
	case rc.Actuator.Delay < 0 || rc.Actuator.MinInterval < 0:
		return fmt.Errorf("routing control: actuation delay and interval must not be negative")
	case rc.Breaker.Churn < 0 || (rc.Breaker.Churn > 0 && (rc.Breaker.Window <= 0 || rc.Breaker.Hold <= 0)):
		return fmt.Errorf("routing control: the breaker needs a positive window and hold")
	case rc.Pattern == PatternBrokered && rc.Broker.Interval <= 0:
		return fmt.Errorf("routing control: the brokered pattern needs a positive broker interval")
	}
	if rc.Actuator.Channel.Kind != state.ChannelNone {
		return rc.Actuator.Channel.Validate()
	}
	return nil
}

// AuditInput is one signal a decision read, and how old it was.
type AuditInput struct {
	Signal string // e.g. "latency/east"
	Value  float64
	Age    sim.Time
}

// AuditEntry is one decision of the audit trail: who decided what from
// which inputs, and what came of it.
type AuditEntry struct {
	At       sim.Time
	Actor    string
	Scope    string // e.g. "users/edge", "users/sidecars"
	Decision string // e.g. "east=0.700 west=0.300", or "hold"
	Inputs   []AuditInput
	Outcome  string // applied, pushed v12, held, rejected by policy, rate-limited, fenced, halted, …
	Detail   string
}
