package strategies

import (
	"math"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// obs builds an observation of targets with the given latencies (s) and
// error rates, all fresh at now.
func obs(now sim.Time, lat, errs []float64) *routectl.Observation {
	o := &routectl.Observation{Now: now, Skew: 1}
	for i := range lat {
		r := routectl.Reading{Name: string(rune('a' + i)), Region: string(rune('a' + i)), Valid: true, Emitted: now}
		r.Signals[routectl.SigLatency] = lat[i]
		r.Signals[routectl.SigErrors] = errs[i]
		o.Targets = append(o.Targets, r)
	}
	return o
}

func scoringCfg() ScoringConfig {
	p := (&EngineDef{Params: scoringParams}).Params.Defaults()
	cfg, err := readScoring(p)
	if err != nil {
		panic(err)
	}
	cfg.RTT = false
	return cfg
}

func decide(e routectl.Engine, o *routectl.Observation) *routectl.Decision {
	d := &routectl.Decision{}
	d.Reset(len(o.Targets))
	e.Decide(o, d)
	return d
}

func close9(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The logit choice is w_i ∝ exp(−β·score_i) with score = latency/100ms +
// errors/1%: latencies 100 and 200 ms at β = 1 give e⁰ : e⁻¹.
func TestScoringLogit(t *testing.T) {
	e := NewScoring(scoringCfg())
	d := decide(e, obs(0, []float64{0.1, 0.2}, []float64{0, 0}))
	want := 1 / (1 + math.Exp(-1))
	if !close9(d.Weights[0], want) || !close9(d.Weights[1], 1-want) {
		t.Errorf("weights %v, want %.6f / %.6f", d.Weights, want, 1-want)
	}
	cfg := scoringCfg()
	cfg.Choice = ChoiceBest
	d = decide(NewScoring(cfg), obs(0, []float64{0.1, 0.05}, []float64{0, 0}))
	if d.Weights[0] != 0 || d.Weights[1] != 1 {
		t.Errorf("best choice: %v", d.Weights)
	}
}

func TestScoringHysteresisDwellAndStep(t *testing.T) {
	cfg := scoringCfg()
	cfg.Hysteresis, cfg.Dwell, cfg.MaxStep = 0.1, 30*sim.Second, 0.2
	e := NewScoring(cfg)
	o := obs(0, []float64{0.1, 0.1}, []float64{0, 0})
	o.Current = []float64{0.5, 0.5}
	if d := decide(e, o); !d.Hold { // no change wanted: within the hysteresis
		t.Errorf("an equal split should hold, got %v", d.Weights)
	}
	o = obs(sim.Second, []float64{0.1, 0.5}, []float64{0, 0})
	o.Current = []float64{0.5, 0.5}
	d := decide(e, o)
	if d.Hold || !close9(d.Weights[0], 0.7) || !close9(d.Weights[1], 0.3) {
		t.Errorf("a 4-unit score gap should move by the 0.2 step: %v hold=%v", d.Weights, d.Hold)
	}
	o = obs(10*sim.Second, []float64{0.1, 0.9}, []float64{0, 0})
	o.Current = []float64{0.7, 0.3}
	if d := decide(e, o); !d.Hold || !strings.Contains(d.Note, "dwell") {
		t.Errorf("10 s after a change the dwell should hold: %v %q", d.Weights, d.Note)
	}
	o.Now = 41 * sim.Second
	if d := decide(e, o); d.Hold || !close9(d.Weights[0], 0.9) {
		t.Errorf("after the dwell it moves again: %v", d.Weights)
	}
}

func TestScoringFreshnessFallback(t *testing.T) {
	cfg := scoringCfg()
	cfg.TTL = 5 * sim.Second
	e := NewScoring(cfg)
	o := obs(20*sim.Second, []float64{0.1, 0.3}, []float64{0, 0})
	o.Targets[1].Emitted = 10 * sim.Second // 10 s old
	o.Current = []float64{0.4, 0.6}
	if d := decide(e, o); !d.Hold || d.Fallback != "last-known-good" {
		t.Errorf("stale with LKG should hold: %+v", d)
	}
	cfg.Fallback, cfg.Static = FallbackStatic, "a"
	d := decide(NewScoring(cfg), o)
	if d.Fallback != "static" || d.Weights[0] != 1 || d.Weights[1] != 0 {
		t.Errorf("stale with a static route: %+v", d)
	}
}

// A poisoned error rate of 3 (out of [0, 1]) is rejected by the bounds
// check; a reported 0% while the clients see 50% fails cross-source
// agreement, and the target is scored on the clients' view instead; a
// latency that jumps tenfold fails the rate-of-change check, and the target
// is scored on its last accepted reading.
func TestScoringSanityChecks(t *testing.T) {
	cfg := scoringCfg()
	cfg.Bounds, cfg.Agreement, cfg.MaxChange = true, 0.1, 2
	e := NewScoring(cfg)
	first := decide(e, obs(0, []float64{0.1, 0.1}, []float64{0, 0}))
	if first.Rejected != 0 {
		t.Fatalf("clean readings rejected: %+v", first)
	}
	o := obs(sim.Second, []float64{0.1, 0.1}, []float64{3, 0})
	if d := decide(e, o); d.Rejected != 1 || !strings.Contains(d.Note, "out of [0, 1]") || !close9(d.Weights[0], 0.5) {
		t.Errorf("bounds: %+v", d)
	}
	o = obs(2*sim.Second, []float64{0.1, 0.1}, []float64{0, 0})
	o.Targets[0].Seen = routectl.Seen{Requests: 100, Errors: 50, Latency: 0.1}
	if d := decide(e, o); d.Rejected != 1 || !strings.Contains(d.Note, "disagrees") || !(d.Weights[0] < 0.01) {
		t.Errorf("agreement: the target should be scored on the clients' 50%% errors: %+v", d)
	}
	e = NewScoring(cfg)
	decide(e, obs(0, []float64{0.1, 0.1}, []float64{0, 0}))
	o = obs(3*sim.Second, []float64{1.0, 0.1}, []float64{0, 0})
	if d := decide(e, o); d.Rejected != 1 || !strings.Contains(d.Note, "jumped") || !close9(d.Weights[0], 0.5) {
		t.Errorf("rate of change: %+v", d)
	}
}

// Damping is an EWMA of each signal: with factor 0.5, 0.1 then 0.3 s
// scores as 0.2 s.
func TestScoringDamping(t *testing.T) {
	cfg := scoringCfg()
	cfg.Damping = 0.5
	e := NewScoring(cfg)
	decide(e, obs(0, []float64{0.1, 0.1}, []float64{0, 0}))
	d := decide(e, obs(sim.Second, []float64{0.3, 0.1}, []float64{0, 0}))
	want := math.Exp(-1) / (1 + math.Exp(-1)) // scores 2 and 1
	if !close9(d.Weights[0], want) {
		t.Errorf("damped weight %.6f, want %.6f", d.Weights[0], want)
	}
}

// Under an SLO constraint the cheapest target that meets the latency SLO
// gets the traffic, even when a cheaper one misses it.
func TestScoringSLOConstraint(t *testing.T) {
	cfg := scoringCfg()
	cfg.Coef[routectl.SigLatency], cfg.Coef[routectl.SigErrors] = 0, 0
	cfg.Coef[routectl.SigCost], cfg.Scale[routectl.SigCost] = 1, 0.001
	cfg.Choice, cfg.SLOLatency = ChoiceBest, 200*sim.Millisecond
	o := obs(0, []float64{0.5, 0.1, 0.15}, []float64{0, 0, 0})
	for i, c := range []float64{0.001, 0.003, 0.002} {
		o.Targets[i].Signals[routectl.SigCost] = c
	}
	if d := decide(NewScoring(cfg), o); d.Weights[2] != 1 {
		t.Errorf("want the cheapest within the SLO (c): %v", d.Weights)
	}
	o.Targets[2].Signals[routectl.SigUnhealthy] = 1
	if d := decide(NewScoring(cfg), o); d.Weights[1] != 1 {
		t.Errorf("with c down, b: %v", d.Weights)
	}
}

// Holt's linear trend on a line x = 10 + 2t recovers it: after a few
// observations the level tracks x and the trend 2/s, so the forecast 5 s
// ahead is x + 10. A skew of 1.5 (model drift) multiplies the forecasts,
// and the drift check then reports the model drifted.
func TestHolt(t *testing.T) {
	h := &Holt{Alpha: 0.5, Beta: 0.3, Horizon: 5 * sim.Second}
	x := make([][routectl.NumSignals]float64, 1)
	known := []bool{true}
	var got float64
	for s := 0; s <= 40; s++ {
		x[0][routectl.SigLoad] = 10 + 2*float64(s)
		o := &routectl.Observation{Now: sim.Time(s) * sim.Second, Skew: 1}
		h.forecast(o, x, known)
		got = x[0][routectl.SigLoad]
	}
	if want := 10 + 2*40.0 + 10; math.Abs(got-want) > 0.01 {
		t.Errorf("forecast %.4f, want %.4f", got, want)
	}
	// Hand-computed first steps: l1 = 0.5·12 + 0.5·(10 + 0) = 11, b1 = 0.3·1 = 0.3.
	h = &Holt{Alpha: 0.5, Beta: 0.3, Horizon: 0}
	for s, v := range []float64{10, 12} {
		x[0][routectl.SigLoad] = v
		h.forecast(&routectl.Observation{Now: sim.Time(s) * sim.Second, Skew: 1}, x, known)
	}
	if !close9(h.level[0][routectl.SigLoad], 11) || !close9(h.trend[0][routectl.SigLoad], 0.3) {
		t.Errorf("level %g, trend %g; want 11, 0.3", h.level[0][routectl.SigLoad], h.trend[0][routectl.SigLoad])
	}
	h = &Holt{Alpha: 0.5, Beta: 0.3, Horizon: 0, DriftCheck: 0.2}
	drifted := false
	for s := 0; s < 60; s++ {
		x[0][routectl.SigLoad] = 50
		note, ok := h.forecast(&routectl.Observation{Now: sim.Time(s) * sim.Second, Skew: 1.5}, x, known)
		if !ok && strings.Contains(note, "model drift") {
			drifted = true
		}
	}
	if !drifted {
		t.Errorf("a 50%% skew never tripped the drift check (error %.2f)", h.mape)
	}
}

func policyObs(regions ...string) (*routectl.Observation, *routectl.Decision) {
	o := &routectl.Observation{Client: "c"}
	d := &routectl.Decision{}
	for _, r := range regions {
		o.Targets = append(o.Targets, routectl.Reading{Name: r, Region: r, Valid: true})
		d.Weights = append(d.Weights, 1/float64(len(regions)))
	}
	return o, d
}

func rule(r routectl.Rule) PolicySource {
	return PolicySourceFunc(func(_ *routectl.Observation, _ *routectl.Decision, out []routectl.Rule) []routectl.Rule {
		return append(out, r)
	})
}

// A higher-precedence residency allow-list beats a lower source's
// redirect out of it (a conflict, counted); merged, the same rules reject
// the route.
func TestPolicyPrecedence(t *testing.T) {
	o, d := policyObs("eu", "us")
	l := &PolicyLayer{Sources: []PolicySourceUse{
		{Name: "residency", Precedence: 100, Source: rule(routectl.Rule{Kind: routectl.RuleAllow, Regions: []string{"eu"}})},
		{Name: "team-b", Precedence: 10, Source: rule(routectl.Rule{Kind: routectl.RuleRedirect, Region: "eu", To: "us"})},
	}}
	v := l.Filter(o, d)
	if v.Rejected || v.Conflicts != 1 || d.Weights[0] != 1 || d.Weights[1] != 0 {
		t.Errorf("precedence: %+v, weights %v", v, d.Weights)
	}
	o, d = policyObs("eu", "us")
	l.Merge = true
	if v := l.Filter(o, d); !v.Rejected {
		t.Errorf("merged contradicting rules should reject: %+v", v)
	}
}

// Two redirects a → b and b → a form a loop: by precedence the lower one
// is dropped (a's traffic goes to b); merged the route is rejected.
func TestPolicyRouteLoop(t *testing.T) {
	mk := func(merge bool) (*routectl.Verdict, []float64) {
		o, d := policyObs("a", "b", "c")
		l := &PolicyLayer{Merge: merge, Sources: []PolicySourceUse{
			{Name: "maintenance", Precedence: 50, Source: rule(routectl.Rule{Kind: routectl.RuleRedirect, Region: "a", To: "b"})},
		}}
		o.Rules = []routectl.Rule{{Source: "team-b", Precedence: 20, Kind: routectl.RuleRedirect, Region: "b", To: "a"}}
		v := l.Filter(o, d)
		return &v, d.Weights
	}
	v, w := mk(false)
	if v.Loops != 1 || v.Rejected || !close9(w[0], 0) || !close9(w[1], 2.0/3) || !close9(w[2], 1.0/3) {
		t.Errorf("precedence: %+v, weights %v", v, w)
	}
	if v, _ := mk(true); v.Loops != 1 || !v.Rejected {
		t.Errorf("merge: %+v", v)
	}
}

// A cap moves the excess to the uncapped regions; a denial removes a
// region; when the engine weighted only forbidden regions, the traffic is
// spread over the permitted ones.
func TestPolicyCapDenyAndFallback(t *testing.T) {
	o, d := policyObs("a", "b")
	d.Weights[0], d.Weights[1] = 0.9, 0.1
	l := &PolicyLayer{Sources: []PolicySourceUse{{Name: "cost", Precedence: 50, Source: rule(routectl.Rule{Kind: routectl.RuleCap, Region: "a", Share: 0.4})}}}
	l.Filter(o, d)
	if !close9(d.Weights[0], 0.4) || !close9(d.Weights[1], 0.6) {
		t.Errorf("cap: %v", d.Weights)
	}
	o, d = policyObs("a", "b", "c")
	d.Weights[0], d.Weights[1], d.Weights[2] = 1, 0, 0
	l = &PolicyLayer{Sources: []PolicySourceUse{{Name: "security", Precedence: 90, Source: rule(routectl.Rule{Kind: routectl.RuleDeny, Region: "a"})}}}
	if v := l.Filter(o, d); v.Rejected || !close9(d.Weights[1], 0.5) || !close9(d.Weights[2], 0.5) {
		t.Errorf("deny with only forbidden weight: %+v %v", v, d.Weights)
	}
}

// The budget source caps the dearest region so that rate × Σ share·price
// fits the cap: 100 req/s at 0.004 and 0.001 with a 0.2/s cap allows the
// dear region a third of the traffic.
func TestBudgetRules(t *testing.T) {
	o, d := policyObs("premium", "cheap")
	o.Rate = 100
	o.Targets[0].Signals[routectl.SigBilled] = 0.004
	o.Targets[1].Signals[routectl.SigBilled] = 0.001
	d.Weights[0], d.Weights[1] = 1, 0
	def, _ := LookupPolicy("budget")
	src, _ := def.Build(sim.Params{"cap": 0.2})
	l := &PolicyLayer{Sources: []PolicySourceUse{{Name: "budget", Precedence: 50, Source: src}}}
	l.Filter(o, d)
	spend := o.Rate * (d.Weights[0]*0.004 + d.Weights[1]*0.001)
	if !close9(d.Weights[0], 1.0/3) || math.Abs(spend-0.2) > 1e-9 {
		t.Errorf("weights %v, spend %.4f/s; want a third and 0.2/s", d.Weights, spend)
	}
}

func TestWarmRegistryAndBurst(t *testing.T) {
	o := obs(0, []float64{0, 0, 0}, []float64{0, 0, 0})
	for i, dist := range []float64{0.001, 0.02, 0.2} {
		o.Targets[i].Distance = dist
	}
	o.Targets[1].Seen.Requests = 3 // only b has served
	reg := &WarmRegistry{TTL: sim.Minute, Budget: 0.05, registry: true}
	if d := decide(reg, o); d.Weights[1] != 1 {
		t.Errorf("registry should prefer warm b within budget: %v", d.Weights)
	}
	o.Targets[1].Seen.Requests = 0
	o.Now = 2 * sim.Minute // b's entry expired
	if d := decide(reg, o); d.Weights[0] != 1 {
		t.Errorf("with nothing warm, the nearest: %v", d.Weights)
	}
	b := &Burst{Primary: "a", High: 0.8, Low: 0.6, Step: 0.1}
	o = obs(0, []float64{0, 0}, []float64{0, 0})
	o.Targets[0].Signals[routectl.SigUtil] = 0.9
	decide(b, o)
	d := decide(b, o)
	if !close9(d.Weights[1], 0.2) {
		t.Errorf("two decisions above high should burst 20%%: %v", d.Weights)
	}
	o.Targets[0].Signals[routectl.SigUtil] = 0.7 // inside the band: hold
	if d := decide(b, o); !close9(d.Weights[1], 0.2) {
		t.Errorf("inside the band the split holds: %v", d.Weights)
	}
}
