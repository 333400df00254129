package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// Controller is a strategy's routing control plane (entanglement routing):
// who decides (pattern), what (scope), with which engine, through which
// policies and actuator.
type Controller struct {
	Engine         *Plug        `yaml:"engine,required" doc:"the decision engine: a name or {kind, params} (see tangle list strategies)"`
	Pattern        string       `yaml:"pattern" default:"central" doc:"who decides: central (the control plane's leader), leader (central with an election: needs election and control-plane members), sidecar (every sidecar or edge alone), hierarchical (local loops within a slow global controller's bounds), brokered (central on a signal broker's board), competing (every control-plane member, uncoordinated) or overlay (an edge layer and a mesh layer)"`
	Scope          string       `yaml:"scope" default:"edge" doc:"what the weights route: edge (an edge's regions, for clients with edge: true) or sidecar (the sidecars' replicas)"`
	Interval       Duration     `yaml:"interval" default:"10s" doc:"between an actor's evaluations"`
	Jitter         Ratio        `yaml:"jitter" default:"0" doc:"each interval varies uniformly within ± this fraction (jittered evaluation times)"`
	Global         *Plug        `yaml:"global" doc:"hierarchical: the slow global controller's engine; overlay: the edge layer's engine; default: engine"`
	GlobalInterval Duration     `yaml:"global_interval" default:"1m" doc:"hierarchical: between the global controller's evaluations"`
	Band           Ratio        `yaml:"band" default:"20%" doc:"hierarchical: the local loops' weights stay within this total-variation distance of the global weights"`
	Coordinated    bool         `yaml:"coordinated" default:"false" doc:"overlay: the layers take turns (a thin orchestration layer) instead of acting at once"`
	Actuation      Actuation    `yaml:"actuation" doc:"how decisions are applied"`
	Policies       []PolicyUse  `yaml:"policies" doc:"the policy layer's sources, composed by precedence (see tangle list strategies)"`
	Composition    string       `yaml:"composition" default:"precedence" doc:"precedence: a lower source yields to a higher one (conflicts counted); merge: every rule applies and contradictions reject the route"`
	Auth           bool         `yaml:"auth" default:"false" doc:"authenticated channels: forged signals and unsigned configs are rejected"`
	Breaker        *BreakerDecl `yaml:"breaker" doc:"the emergency circuit breaker; absent: none"`
	Broker         BrokerDecl   `yaml:"broker" doc:"brokered pattern: the signal broker"`
	AuditSample    Ratio        `yaml:"audit_sample" default:"100%" doc:"fraction of sidecar and edge decisions audited (controllers' decisions always are)"`
	Convergence    Convergence  `yaml:"convergence" doc:"how route_convergence_time judges stability"`

	pattern routectl.Pattern
	scope   routectl.ScopeKind
	leader  bool
	engine  routectl.NewEngine
	global  routectl.NewEngine
	policy  routectl.Policy
}

// Actuation is how routing decisions are applied.
type Actuation struct {
	Delay       Duration     `yaml:"delay" default:"0s" doc:"from a decision to its actuation (an API call, a config render)"`
	MinInterval Duration     `yaml:"min_interval" default:"0s" doc:"an actor actuates at most once per this; decisions in between are dropped (rate-limited)"`
	Channel     *ChannelDecl `yaml:"channel" default:"push" doc:"how a controller's config reaches edges and sidecars (push: xDS-like, debounced, ACK/NACK, last known good)"`
}

// PolicyUse is one policy source.
type PolicyUse struct {
	Kind       string    `yaml:"kind,required" doc:"the policy source (see tangle list strategies)"`
	Precedence *int      `yaml:"precedence" doc:"higher wins when rules conflict; default: the source's"`
	Params     RawParams `yaml:"params" doc:"its parameters"`

	params sim.Params
}

// BreakerDecl configures the emergency circuit breaker.
type BreakerDecl struct {
	Churn  float64  `yaml:"churn,required" doc:"trip when the total variation of the actuated configs, summed over window, exceeds this (1 = one full swing of all traffic)"`
	Window Duration `yaml:"window" default:"5m" doc:"the churn window"`
	Hold   Duration `yaml:"hold" default:"10m" doc:"how long automation stays halted after a trip"`
}

// BrokerDecl configures the signal broker.
type BrokerDecl struct {
	Interval Duration `yaml:"interval" default:"5s" doc:"between the broker's publications"`
	Delay    Duration `yaml:"delay" default:"1s" doc:"its processing time"`
}

// Convergence sets how route convergence is judged.
type Convergence struct {
	Tolerance Ratio    `yaml:"tolerance" default:"5%" doc:"a holder's weights moving by more than this (total variation) is a change"`
	Settle    Duration `yaml:"settle" default:"1m" doc:"routing must stay unchanged this long to be converged"`
}

// patterns accepted in files: the topology's and leader.
func patternNames() []string { return append(routectl.PatternNames(), "leader") }

// controllerDefaults fills in what a strategy's controller left out.
func (sc *Scenario) controllerDefaults(d *decoder, i int) {
	c := sc.Strategies[i].Controller
	if c == nil {
		return
	}
	p := join(index("strategies", i), "controller")
	def := func(key string, set func()) {
		if !d.has(join(p, key)) {
			set()
		}
	}
	def("pattern", func() { c.Pattern = "central" })
	def("scope", func() { c.Scope = "edge" })
	def("interval", func() { c.Interval = Duration(10 * sim.Second) })
	def("global_interval", func() { c.GlobalInterval = Duration(sim.Minute) })
	def("band", func() { c.Band = 0.2 })
	def("composition", func() { c.Composition = "precedence" })
	def("audit_sample", func() { c.AuditSample = 1 })
	def("broker.interval", func() { c.Broker.Interval = Duration(5 * sim.Second) })
	def("broker.delay", func() { c.Broker.Delay = Duration(sim.Second) })
	def("convergence.tolerance", func() { c.Convergence.Tolerance = 0.05 })
	def("convergence.settle", func() { c.Convergence.Settle = Duration(sim.Minute) })
	if c.Actuation.Channel == nil {
		c.Actuation.Channel = &ChannelDecl{Kind: "push"}
	}
	if b := c.Breaker; b != nil {
		def("breaker.window", func() { b.Window = Duration(5 * sim.Minute) })
		def("breaker.hold", func() { b.Hold = Duration(10 * sim.Minute) })
	}
}

// splits reports whether a strategy's rollout shifts traffic by weights.
func (s *Strategy) splits() bool {
	return s.Rollout != nil && (s.Rollout.Kind == "flagger" || s.Rollout.Kind == "argo-canary")
}

// routes reports whether strategy s needs weight-aware pickers.
func (s *Strategy) routes() bool { return s.Controller != nil || s.splits() }

// routed reports whether any strategy needs the routing control plane.
func (sc *Scenario) routed() bool {
	return slices.ContainsFunc(sc.Strategies, func(s Strategy) bool { return s.routes() })
}

func (sc *Scenario) hasEdge() bool {
	return slices.ContainsFunc(sc.Topology.Clients, func(c Client) bool { return c.Edge.Gateway() })
}

// validateController checks a strategy's controller.
func (sc *Scenario) validateController(d *decoder, p string, s *Strategy) {
	c := s.Controller
	if c == nil {
		return
	}
	p = join(p, "controller")
	c.engine = sc.checkEngine(d, join(p, "engine"), c.Engine)
	if c.Global != nil {
		c.global = sc.checkEngine(d, join(p, "global"), c.Global)
	}
	switch pat, ok := routectl.ParsePattern(c.Pattern); {
	case c.Pattern == "leader":
		c.pattern, c.leader = routectl.PatternCentral, true
		if s.Election == nil {
			d.errorPath(join(p, "pattern"), "add election: client-go to the strategy", "the leader pattern elects its controller: the strategy needs an election")
		}
		if sc.controlPlaneName() == "" {
			d.errorPath(join(p, "pattern"), "set state.control_plane.members", "the leader pattern needs control-plane members")
		}
	case !ok:
		d.errorPath(join(p, "pattern"), didYouMean(c.Pattern, patternNames()), "unknown pattern %q; expected one of %s", c.Pattern, strings.Join(patternNames(), ", "))
	default:
		c.pattern = pat
		if pat == routectl.PatternCompeting && (sc.State == nil || sc.State.ControlPlane == nil || sc.State.ControlPlane.Members < 2) {
			d.errorPath(join(p, "pattern"), "set state.control_plane.members to 2 or more", "competing controllers are the control plane's members: it needs at least two")
		}
		if pat == routectl.PatternOverlay && !sc.hasEdge() {
			d.errorPath(join(p, "pattern"), "set edge: true on a client", "the overlay pattern's edge layer needs a client routed through an edge")
		}
	}
	if k, ok := routectl.ParseScope(c.Scope); !ok {
		d.errorPath(join(p, "scope"), didYouMean(c.Scope, []string{"edge", "sidecar"}), "expected edge or sidecar, got %q", c.Scope)
	} else {
		c.scope = k
		if k == routectl.ScopeEdge && !sc.hasEdge() {
			d.errorPath(join(p, "scope"), "set edge: true on a client, or scope: sidecar", "scope edge routes edges' regions, but no client has an edge")
		}
	}
	if c.Interval <= 0 {
		d.errorPath(join(p, "interval"), "", "must be positive, got %v", c.Interval)
	}
	if !(c.Jitter >= 0 && c.Jitter < 1) {
		d.errorPath(join(p, "jitter"), "", "must be in [0, 1), got %g", float64(c.Jitter))
	}
	if c.GlobalInterval <= 0 {
		d.errorPath(join(p, "global_interval"), "", "must be positive, got %v", c.GlobalInterval)
	}
	if !(c.Band >= 0 && c.Band <= 1) {
		d.errorPath(join(p, "band"), "", "must be a ratio in [0, 1], got %g", float64(c.Band))
	}
	if c.Actuation.Delay < 0 || c.Actuation.MinInterval < 0 {
		d.errorPath(join(p, "actuation"), "", "delay and min_interval must not be negative")
	}
	sc.checkChannel(d, join(p, "actuation.channel"), c.Actuation.Channel)
	if c.Composition != "precedence" && c.Composition != "merge" {
		d.errorPath(join(p, "composition"), didYouMean(c.Composition, []string{"precedence", "merge"}), "expected precedence or merge, got %q", c.Composition)
	}
	if !(c.AuditSample > 0 && c.AuditSample <= 1) {
		d.errorPath(join(p, "audit_sample"), "", "must be a ratio in (0, 1], got %g", float64(c.AuditSample))
	}
	if b := c.Breaker; b != nil && (!(b.Churn > 0) || b.Window <= 0 || b.Hold <= 0) {
		d.errorPath(join(p, "breaker"), "", "churn, window and hold must be positive")
	}
	if c.Broker.Interval <= 0 || c.Broker.Delay < 0 {
		d.errorPath(join(p, "broker"), "", "interval must be positive and delay not negative")
	}
	if c.Convergence.Settle <= 0 || !(c.Convergence.Tolerance > 0 && c.Convergence.Tolerance < 1) {
		d.errorPath(join(p, "convergence"), "", "settle must be positive and tolerance in (0, 1)")
	}
	layer := &strategies.PolicyLayer{Merge: c.Composition == "merge"}
	for j := range c.Policies {
		u := &c.Policies[j]
		pp := index(join(p, "policies"), j)
		def, ok := strategies.LookupPolicy(u.Kind)
		if !ok {
			d.errorPath(join(pp, "kind"), didYouMean(u.Kind, strategies.PolicyNames()), "unknown policy %q; `tangle list strategies` lists them", u.Kind)
			continue
		}
		vals, ok := readParams(d, join(pp, "params"), "policy "+u.Kind, def.Params, u.Params)
		if !ok {
			continue
		}
		src, err := def.Build(vals)
		if err != nil {
			d.errorPath(join(pp, "params"), "", "%v", err)
			continue
		}
		u.params = vals
		prec := def.Precedence
		if u.Precedence != nil {
			prec = *u.Precedence
		}
		layer.Sources = append(layer.Sources, strategies.PolicySourceUse{Name: u.Kind, Precedence: prec, Source: src})
	}
	if len(c.Policies) > 0 {
		c.policy = layer
	}
}

// checkEngine resolves a decision engine plug.
func (sc *Scenario) checkEngine(d *decoder, path string, p *Plug) routectl.NewEngine {
	def, ok := strategies.LookupEngine(p.Kind)
	if !ok {
		d.errorPath(join(path, "kind"), didYouMean(p.Kind, strategies.EngineNames()), "unknown decision engine %q; `tangle list strategies` lists them", p.Kind)
		return nil
	}
	vals, ok := readParams(d, join(path, "params"), "engine "+p.Kind, def.Params, p.Params)
	if !ok {
		return nil
	}
	eng, err := def.Build(vals)
	if err != nil {
		d.errorPath(join(path, "params"), "", "%v", err)
		return nil
	}
	p.params = vals
	return eng
}

// routeControl compiles strategy i's controller (nil without one).
func (sc *Scenario) routeControl(i int) (*routectl.Control, error) {
	c := sc.Strategies[i].Controller
	if c == nil {
		return nil, nil
	}
	// A fresh policy layer per run: it keeps scratch state.
	var policy routectl.Policy
	if c.policy != nil {
		layer := *c.policy.(*strategies.PolicyLayer)
		layer.Sources = slices.Clone(layer.Sources)
		policy = &layer
	}
	rc := &routectl.Control{
		Pattern: c.pattern, Scope: c.scope, Engine: c.engine, Global: c.global,
		Interval: c.Interval.T(), Jitter: float64(c.Jitter), GlobalInterval: c.GlobalInterval.T(), Band: float64(c.Band),
		Policy:      policy,
		Actuator:    routectl.Actuator{Delay: c.Actuation.Delay.T(), MinInterval: c.Actuation.MinInterval.T(), Channel: c.Actuation.Channel.spec},
		Auth:        c.Auth,
		Broker:      routectl.Broker{Interval: c.Broker.Interval.T(), Delay: c.Broker.Delay.T()},
		Coordinated: c.Coordinated,
		AuditSample: float64(c.AuditSample),
	}
	if b := c.Breaker; b != nil {
		rc.Breaker = routectl.Breaker{Churn: b.Churn, Window: b.Window.T(), Hold: b.Hold.T()}
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("strategy %s: %w", sc.Strategies[i].Name, err)
	}
	return rc, nil
}

// regionSignals compiles the regions' sensor baselines.
func (sc *Scenario) regionSignals() []topology.RegionSignals {
	var out []topology.RegionSignals
	for _, r := range sc.Topology.Regions {
		out = append(out, topology.RegionSignals{Region: r.Name, Cost: r.Cost, Threat: float64(r.Threat), Lag: r.Lag.T()})
	}
	return out
}

// perturbations are the instants route convergence is measured from:
// every fault's start and end, every deploy.
func (sc *Scenario) perturbations() []sim.Time {
	var out []sim.Time
	for _, f := range sc.Faults {
		out = append(out, f.At.T())
		if f.Duration > 0 {
			out = append(out, f.At.T()+f.Duration.T())
		}
	}
	if sc.State != nil {
		for _, c := range sc.State.Changes {
			if c.Deploy != "" {
				out = append(out, c.At.T())
			}
		}
	}
	return out
}

// attachControl configures strategy i's routing control metrics.
func (sc *Scenario) attachControl(i int, w *topology.World, rec *metrics.Recorder, cfg metrics.Config) {
	if state.Of(w) == nil || !routectl.Of(w).Routing() {
		return
	}
	cc := metrics.ControlConfig{Perturbations: sc.perturbations()}
	if c := sc.Strategies[i].Controller; c != nil {
		cc.Tolerance, cc.Settle = float64(c.Convergence.Tolerance), c.Convergence.Settle.T()
	}
	metrics.NewControl(w, cfg, cc, rec)
}

// validateResidency checks the clients' residency regions.
func (sc *Scenario) validateResidency(d *decoder) {
	var regions []string
	for _, r := range sc.Topology.Regions {
		regions = append(regions, r.Name)
	}
	for i, c := range sc.Topology.Clients {
		for j, r := range c.Residency {
			if !slices.Contains(regions, r) {
				d.errorPath(index(join(index("topology.clients", i), "residency"), j), didYouMean(r, regions), "unknown region %q; regions are %s", r, strings.Join(regions, ", "))
			}
		}
	}
	for i, r := range sc.Topology.Regions {
		p := index("topology.regions", i)
		if !(r.Cost >= 0) {
			d.errorPath(join(p, "cost"), "", "must not be negative")
		}
		if !(r.Threat >= 0 && r.Threat <= 1) {
			d.errorPath(join(p, "threat"), "", "must be a ratio in [0, 1]")
		}
		if r.Lag < 0 {
			d.errorPath(join(p, "lag"), "", "must not be negative")
		}
	}
}

// ControllerChoice describes strategy i's controller for reports.
func (sc *Scenario) ControllerChoice(i int) string {
	c := sc.Strategies[i].Controller
	if c == nil {
		return ""
	}
	var parts []string
	names := make([]string, 0, len(c.Engine.Params))
	for k := range c.Engine.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		parts = append(parts, k+"="+sim.FormatValue(c.Engine.params[k]))
	}
	s := fmt.Sprintf("%s %s/%s every %v", c.Pattern, c.Engine.Kind, c.Scope, c.Interval)
	if len(parts) > 0 {
		s += " " + strings.Join(parts, " ")
	}
	for _, p := range c.Policies {
		s += " policy=" + p.Kind
	}
	if c.Breaker != nil {
		s += " breaker"
	}
	if c.Auth {
		s += " auth"
	}
	return s
}
