package strategies

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// EngineDef is a decision engine as scenario files name it:
// `controller: {engine: {kind: scoring, params: {...}}}` on a strategy.
type EngineDef struct {
	Name        string
	Description string
	Source      string
	Params      sim.ParamSet
	// Build returns the factory that makes one engine per actor and scope,
	// from complete, checked parameters.
	Build func(p sim.Params) (routectl.NewEngine, error)
}

// engines is every decision engine.
var engines = sim.NewRegistry(func(d *EngineDef) string { return d.Name }, engineDefs)

// Engines returns every decision engine, sorted by name.
func Engines() []*EngineDef { return engines.All() }

// LookupEngine returns the decision engine called name.
func LookupEngine(name string) (*EngineDef, bool) { return engines.Lookup(name) }

// EngineNames lists the decision engines' names, sorted.
func EngineNames() []string { return engines.Names() }

const srcSeed = "entanglement-routing seed document (E)"

func coef(name string, def float64, desc string) sim.Param {
	return sim.Param{Name: name, Kind: sim.Float, Default: def, Min: sim.Bound(0), Description: desc}
}

func scale(name string, kind sim.ParamKind, unit string, def any, desc string) sim.Param {
	return sim.Param{Name: name, Kind: kind, Unit: unit, Default: def, Min: sim.Bound(1e-12), Description: desc}
}

// scoringParams are the scoring engine's parameters: the score's
// coefficients and scales, the choice model, and the mitigations.
var scoringParams = sim.ParamSet{
	coef("latency", 1.0, "weight of the latency EWMA in the score"),
	coef("error_rate", 1.0, "weight of the error rate"),
	coef("load", 0.0, "weight of the in-flight requests"),
	coef("utilization", 0.0, "weight of the utilisation"),
	coef("unhealthy", 1.0, "weight of the fraction of replicas reported down (a target with all down is never chosen)"),
	coef("cost", 0.0, "weight of the cost per request (the cost signal)"),
	coef("lag", 0.0, "weight of the replication lag"),
	coef("threat", 0.0, "weight of the threat score"),
	scale("latency_scale", sim.Duration, "duration", 100*sim.Millisecond, "latency counted as one unit of score"),
	scale("error_rate_scale", sim.Ratio, "ratio", 0.01, "error rate counted as one unit"),
	scale("load_scale", sim.Float, "requests", 10.0, "in-flight requests counted as one unit"),
	scale("utilization_scale", sim.Ratio, "ratio", 0.1, "utilisation counted as one unit"),
	scale("unhealthy_scale", sim.Ratio, "ratio", 0.1, "fraction of replicas down counted as one unit"),
	scale("cost_scale", sim.Float, "per request", 0.001, "cost per request counted as one unit"),
	scale("lag_scale", sim.Duration, "duration", sim.Second, "replication lag counted as one unit"),
	scale("threat_scale", sim.Ratio, "ratio", 0.1, "threat score counted as one unit"),
	{Name: "normalize", Kind: sim.Enum, Default: "scale", Choices: []string{"scale", "mean"}, Description: "scale: divide each signal by its scale; mean: by its mean over the targets (1 = average)"},
	{Name: "choice", Kind: sim.Enum, Default: "logit", Choices: []string{"logit", "best", "inverse"}, Description: "logit: w ∝ exp(−beta·score) (multinomial logit); best: all traffic to the lowest score; inverse: w ∝ 1/(score + 0.01)", Source: "Pender, Rand & Wesson, arXiv 1610.01972 (logit choice on delayed queue lengths); Khanna & Zinky SIGCOMM 1989 (D-SPF shortest path)"},
	{Name: "beta", Kind: sim.Float, Default: 1.0, Min: sim.Bound(0), Description: "logit sharpness: score units per e-fold of weight"},
	{Name: "hysteresis", Kind: sim.Ratio, Default: 0.0, Description: "keep the weights in effect unless the new ones differ by at least this total variation (0: off)", Source: "E-F1 mitigation: hysteresis"},
	dur("dwell", 0, 0, "minimum time between two changes (0: off)", "E-F1 mitigation: hysteresis with a minimum dwell"),
	dur("ttl", 0, 0, "signal freshness TTL: a reading older than this is stale (0: off)", "E-F2 mitigation: TTLs and freshness checks"),
	{Name: "fallback", Kind: sim.Enum, Default: "last-known-good", Choices: []string{"last-known-good", "static", "none"}, Description: "with stale signals: keep the weights in effect, use the static route, or decide on stale signals anyway", Source: "E-F4 mitigation: fallback safe routes"},
	{Name: "static", Kind: sim.String, Default: "", Description: "the safe static route: all traffic to this target (a region or replica name); empty spreads it evenly"},
	boolean("bounds", false, "sanity check: reject physically impossible readings (error rate or utilisation outside [0, 1], negative values)", "E-F6 mitigation: source validation and sanity checks"),
	{Name: "max_change", Kind: sim.Float, Default: 0.0, Min: sim.Bound(0), Description: "sanity check: reject a signal that moved by more than this factor (1: doubled or halved) since its last accepted value (0: off)", Source: "E-F6 mitigation"},
	{Name: "rebaseline", Kind: sim.Int, Default: int64(3), Min: sim.Bound(0), Description: "with max_change: a jump that persists for this many consecutive readings is accepted as the new level, so a real change is delayed, not locked out (0: never re-baseline)", Source: "E-F6 mitigation"},
	{Name: "agreement", Kind: sim.Ratio, Default: 0.0, Description: "cross-source check: reject a reading whose error rate differs from the clients' by more than this, or whose latency is below a third of the clients' round trip (0: off)", Source: "E-F6 mitigation: cross-source agreement"},
	{Name: "max_step", Kind: sim.Ratio, Default: 0.0, Description: "rate-limited actuation: no weight moves by more than this per decision (0: off)", Source: "E mitigation: rate limiting (Khanna & Zinky: limit change per update)"},
	{Name: "damping", Kind: sim.Ratio, Default: 1.0, Description: "EWMA factor applied to each signal across evaluations (1: none; 0.2: heavy averaging)", Source: "Khanna & Zinky SIGCOMM 1989 (HN-SPF averages the metric)"},
	dur("slo_latency", 0, 0, "SLO constraint: targets whose latency exceeds this get no traffic while another meets it (0: none)", "E scenario #4: multi-objective scoring under an SLO"),
	{Name: "slo_error_rate", Kind: sim.Ratio, Default: 0.0, Description: "SLO constraint on the error rate (0: none)"},
	boolean("rtt", true, "score latency as the decider sees it: the target's latency plus the network round trip to it", ""),
}

func readScoring(p sim.Params) (ScoringConfig, error) {
	cfg := ScoringConfig{Beta: p.Float("beta"), Normalize: p.String("normalize") == "mean",
		Hysteresis: p.Float("hysteresis"), Dwell: p.Duration("dwell"), TTL: p.Duration("ttl"), Static: p.String("static"),
		Bounds: p.Bool("bounds"), MaxChange: p.Float("max_change"), Rebaseline: int(p.Int("rebaseline")), Agreement: p.Float("agreement"),
		MaxStep: p.Float("max_step"), Damping: p.Float("damping"), SLOLatency: p.Duration("slo_latency"), SLOErrors: p.Float("slo_error_rate"), RTT: p.Bool("rtt")}
	cfg.Choice = map[string]Choice{"logit": ChoiceLogit, "best": ChoiceBest, "inverse": ChoiceInverse}[p.String("choice")]
	cfg.Fallback = map[string]Fallback{"last-known-good": FallbackLKG, "static": FallbackStatic, "none": FallbackNone}[p.String("fallback")]
	set := func(k routectl.SignalKind, c string, sc float64) {
		cfg.Coef[k], cfg.Scale[k] = p.Float(c), sc
	}
	set(routectl.SigLatency, "latency", p.Duration("latency_scale").Seconds())
	set(routectl.SigErrors, "error_rate", p.Float("error_rate_scale"))
	set(routectl.SigLoad, "load", p.Float("load_scale"))
	set(routectl.SigUtil, "utilization", p.Float("utilization_scale"))
	set(routectl.SigUnhealthy, "unhealthy", p.Float("unhealthy_scale"))
	set(routectl.SigCost, "cost", p.Float("cost_scale"))
	set(routectl.SigLag, "lag", p.Duration("lag_scale").Seconds())
	set(routectl.SigThreat, "threat", p.Float("threat_scale"))
	return cfg, cfg.Validate()
}

var engineDefs = []*EngineDef{
	{
		Name:        "scoring",
		Description: "multi-signal scoring: a weighted, normalised combination of latency, error rate, load, utilisation, health, cost, replication lag and threat, turned into weights by a choice model; hysteresis, freshness TTL with fallback, sanity checks, rate-limited steps and damping compose as options",
		Source:      srcSeed + ": decision engines, F1/F2/F4/F6 mitigations; routing.md §5.3",
		Params:      scoringParams,
		Build: func(p sim.Params) (routectl.NewEngine, error) {
			cfg, err := readScoring(p)
			if err != nil {
				return nil, err
			}
			return func(*rand.Rand) routectl.Engine { return NewScoring(cfg) }, nil
		},
	},
	{
		Name:        "predictive",
		Description: "AI-augmented: the scoring engine on Holt's linear-trend forecasts of every signal at a horizon, optionally falling back to the current signals when its forecast error shows model drift",
		Source:      srcSeed + ": AI-augmented pattern, model drift; Holt (1957), Hyndman & Athanasopoulos FPP §8.2",
		Params: append(sim.ParamSet{
			{Name: "alpha", Kind: sim.Ratio, Default: 0.5, Description: "Holt level smoothing α"},
			{Name: "trend", Kind: sim.Ratio, Default: 0.3, Description: "Holt trend smoothing β"},
			dur("horizon", 30*sim.Second, 0, "how far ahead the engine decides on", ""),
			{Name: "drift_check", Kind: sim.Ratio, Default: 0.0, Description: "fall back to the current signals while the forecasts' mean absolute percentage error exceeds this (0: never)"},
		}, scoringParams...),
		Build: func(p sim.Params) (routectl.NewEngine, error) {
			cfg, err := readScoring(p)
			if err != nil {
				return nil, err
			}
			alpha, trend, horizon, check := p.Float("alpha"), p.Float("trend"), p.Duration("horizon"), p.Float("drift_check")
			if alpha <= 0 {
				return nil, fmt.Errorf("alpha must be positive")
			}
			return func(*rand.Rand) routectl.Engine {
				e := NewScoring(cfg)
				e.forecast = &Holt{Alpha: alpha, Beta: trend, Horizon: horizon, DriftCheck: check}
				return e
			}, nil
		},
	},
	{
		Name:        "static",
		Description: "a fixed route: all traffic to one target, or spread evenly (the safe static route; a baseline)",
		Source:      srcSeed + ": fallback strategy",
		Params:      sim.ParamSet{{Name: "target", Kind: sim.String, Default: "", Description: "the target (region or replica) that gets all traffic; empty spreads it evenly"}},
		Build: func(p sim.Params) (routectl.NewEngine, error) {
			target := p.String("target")
			return func(*rand.Rand) routectl.Engine {
				return routectl.EngineFunc(func(o *routectl.Observation, d *routectl.Decision) { staticRoute(o, d, target) })
			}, nil
		},
	},
	{
		Name:        "nearest",
		Description: "all traffic to the nearest target (lowest network latency from the client) that has a replica up",
		Source:      srcSeed + ": scenario #2 baseline (nearest region)",
		Build: func(sim.Params) (routectl.NewEngine, error) {
			return func(*rand.Rand) routectl.Engine { return &WarmRegistry{} }, nil
		},
	},
	{
		Name:        "warm-registry",
		Description: "serverless routing around cold starts: a registry of targets that served requests within its TTL; traffic goes to the nearest warm target within the latency budget of the nearest one, else to the nearest",
		Source:      srcSeed + ": scenario #2 (warmed-instance registry with TTL, fall back to nearest region)",
		Params: sim.ParamSet{
			dur("ttl", 5*sim.Minute, 0.000001, "a target stays in the registry this long after it last served a request (set it at or below the platform's idle scale-to-zero time)", ""),
			dur("budget", 100*sim.Millisecond, 0, "extra one-way latency accepted to reach a warm target instead of the nearest", ""),
		},
		Build: func(p sim.Params) (routectl.NewEngine, error) {
			ttl, budget := p.Duration("ttl"), p.Duration("budget")
			return func(*rand.Rand) routectl.Engine {
				return &WarmRegistry{TTL: ttl, Budget: budget.Seconds(), registry: true}
			}, nil
		},
	},
	{
		Name:        "burst",
		Description: "hybrid cloud burst: keep traffic on the primary (on-premises) region and move a step of it to the others while the primary's utilisation is above high, back while it is below low",
		Source:      srcSeed + ": use case hybrid cloud burst",
		Params: sim.ParamSet{
			{Name: "primary", Kind: sim.String, Default: "", Description: "the primary region (empty: the first)"},
			{Name: "high", Kind: sim.Ratio, Default: 0.8, Description: "utilisation above which traffic bursts out"},
			{Name: "low", Kind: sim.Ratio, Default: 0.6, Description: "utilisation below which it comes back"},
			{Name: "step", Kind: sim.Ratio, Default: 0.1, Description: "share moved per decision"},
		},
		Build: func(p sim.Params) (routectl.NewEngine, error) {
			b := Burst{Primary: p.String("primary"), High: p.Float("high"), Low: p.Float("low"), Step: p.Float("step")}
			if b.Low > b.High {
				return nil, fmt.Errorf("low (%g) must not exceed high (%g)", b.Low, b.High)
			}
			return func(*rand.Rand) routectl.Engine { c := b; return &c }, nil
		},
	},
}

// WarmRegistry routes to the nearest target, or (registry) to the nearest
// warm one: a target is warm while it served a request within TTL (from
// its load reports or the clients' responses).
type WarmRegistry struct {
	TTL      sim.Time
	Budget   float64 // seconds
	registry bool
	last     []sim.Time
}

// Decide implements routectl.Engine.
func (e *WarmRegistry) Decide(o *routectl.Observation, d *routectl.Decision) {
	n := len(o.Targets)
	if len(e.last) != n {
		e.last = make([]sim.Time, n)
		for i := range e.last {
			e.last[i] = -sim.Never
		}
	}
	d.Uses = 1<<routectl.SigUnhealthy | 1<<routectl.SigUtil
	near, nearD := -1, math.Inf(1)
	for i := range o.Targets {
		r := &o.Targets[i]
		if r.Seen.Requests > 0 || (r.Valid && r.Signals[routectl.SigUtil] > 0) {
			e.last[i] = o.Now
		}
		if r.Valid && r.Signals[routectl.SigUnhealthy] >= 1 {
			continue
		}
		if r.Distance < nearD {
			near, nearD = i, r.Distance
		}
	}
	if near < 0 {
		staticRoute(o, d, "")
		d.Fallback = "static"
		return
	}
	pick := near
	if e.registry {
		best := math.Inf(1)
		pick = -1
		for i := range o.Targets {
			r := &o.Targets[i]
			warm := o.Now-e.last[i] <= e.TTL
			if warm && !(r.Valid && r.Signals[routectl.SigUnhealthy] >= 1) && r.Distance <= nearD+e.Budget && r.Distance < best {
				pick, best = i, r.Distance
			}
		}
		if pick < 0 {
			pick = near
			d.Note = "no warm target within budget: nearest"
		} else if pick != near {
			d.Note = "warm target " + o.Targets[pick].Name + " instead of the nearest " + o.Targets[near].Name
		}
	}
	d.Weights[pick] = 1
}

// Burst is the hybrid-cloud burst controller: the primary region keeps
// all traffic until its utilisation passes High; then every decision
// moves Step of the traffic to the other regions (evenly), and moves it
// back while the utilisation is below Low. The band between Low and High
// is its hysteresis.
type Burst struct {
	Primary         string
	High, Low, Step float64
	out             float64
}

// Decide implements routectl.Engine.
func (b *Burst) Decide(o *routectl.Observation, d *routectl.Decision) {
	d.Uses = 1 << routectl.SigUtil
	p := 0
	for i := range o.Targets {
		if o.Targets[i].Name == b.Primary || o.Targets[i].Region == b.Primary {
			p = i
			break
		}
	}
	r := &o.Targets[p]
	switch u := r.Signals[routectl.SigUtil]; {
	case !r.Valid:
	case u > b.High:
		b.out = math.Min(1, b.out+b.Step)
	case u < b.Low:
		b.out = math.Max(0, b.out-b.Step)
	}
	n := len(o.Targets)
	for i := range o.Targets {
		if i == p {
			d.Weights[i] = 1 - b.out
		} else if n > 1 {
			d.Weights[i] = b.out / float64(n-1)
		}
	}
	if n == 1 {
		d.Weights[p] = 1
	}
}
