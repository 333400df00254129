package strategies

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// The policy layer: sources (residency, security, cost, quotas, static
// rules) state rules about regions; the layer composes them — by
// precedence, a lower source yielding to a higher one, or merged, where
// any contradiction rejects the route — and applies them to a decision's
// weights: redirects move traffic, denials and allow-lists remove it,
// caps limit it. A redirect cycle is a route loop: counted, and broken
// (precedence) or the route rejected (merge).

// PolicySource states rules for one decision.
type PolicySource interface {
	Rules(o *routectl.Observation, d *routectl.Decision, out []routectl.Rule) []routectl.Rule
}

// PolicySourceFunc adapts a function to PolicySource.
type PolicySourceFunc func(o *routectl.Observation, d *routectl.Decision, out []routectl.Rule) []routectl.Rule

// Rules calls f.
func (f PolicySourceFunc) Rules(o *routectl.Observation, d *routectl.Decision, out []routectl.Rule) []routectl.Rule {
	return f(o, d, out)
}

// PolicyDef is a policy source as scenario files name it:
// `policies: [{kind: residency, precedence: 100}]` in a controller.
type PolicyDef struct {
	Name        string
	Description string
	Source      string
	Precedence  int // default precedence
	Params      sim.ParamSet
	Build       func(p sim.Params) (PolicySource, error)
}

var policies = sim.NewRegistry(func(d *PolicyDef) string { return d.Name }, policyDefs)

// Policies returns every policy source, sorted by name.
func Policies() []*PolicyDef { return policies.All() }

// LookupPolicy returns the policy source called name.
func LookupPolicy(name string) (*PolicyDef, bool) { return policies.Lookup(name) }

// PolicyNames lists the policy sources' names, sorted.
func PolicyNames() []string { return policies.Names() }

func regionList(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

var policyDefs = []*PolicyDef{
	{
		Name:        "residency",
		Description: "data residency: a client's traffic stays in the regions its users' data may be served in (the client's residency, or the regions listed)",
		Source:      srcSeed + ": use case data locality optimisation (GDPR / data residency)",
		Precedence:  100,
		Params: sim.ParamSet{
			{Name: "regions", Kind: sim.String, Default: "", Description: "comma-separated regions; empty: the client's residency"},
			{Name: "client", Kind: sim.String, Default: "", Description: "only this client's traffic; empty: every client"},
		},
		Build: func(p sim.Params) (PolicySource, error) {
			regions, client := regionList(p.String("regions")), p.String("client")
			return PolicySourceFunc(func(o *routectl.Observation, _ *routectl.Decision, out []routectl.Rule) []routectl.Rule {
				allowed := regions
				if len(allowed) == 0 {
					allowed = o.Residency
				}
				if len(allowed) == 0 {
					return out
				}
				return append(out, routectl.Rule{Kind: routectl.RuleAllow, Regions: allowed, Client: client})
			}), nil
		},
	},
	{
		Name:        "security",
		Description: "security isolation: no traffic to a region whose threat score (from the security sensor) is at or above the threshold",
		Source:      srcSeed + ": use case security-driven isolation",
		Precedence:  90,
		Params:      sim.ParamSet{{Name: "threshold", Kind: sim.Ratio, Default: 0.5, Description: "threat score at which a region is isolated"}},
		Build: func(p sim.Params) (PolicySource, error) {
			th := p.Float("threshold")
			return PolicySourceFunc(func(o *routectl.Observation, _ *routectl.Decision, out []routectl.Rule) []routectl.Rule {
				for i := range o.Targets {
					r := &o.Targets[i]
					if r.Valid && r.Signals[routectl.SigThreat] >= th && !denies(out, r.Region) {
						out = append(out, routectl.Rule{Kind: routectl.RuleDeny, Region: r.Region})
					}
				}
				return out
			}), nil
		},
	},
	{
		Name:        "budget",
		Description: "hard budget cap: when the projected spend (request rate × weights × the metered cost per request) exceeds the cap, the most expensive regions are capped until it fits",
		Source:      srcSeed + ": F8 cost runaway, mitigation: safeguard budget caps",
		Precedence:  50,
		Params:      sim.ParamSet{{Name: "cap", Kind: sim.Float, Unit: "per second", Default: 1.0, Min: sim.Bound(0), Description: "largest spend per second"}},
		Build: func(p sim.Params) (PolicySource, error) {
			limit := p.Float("cap")
			return PolicySourceFunc(func(o *routectl.Observation, d *routectl.Decision, out []routectl.Rule) []routectl.Rule {
				return budgetRules(o, d.Weights, limit, out)
			}), nil
		},
	},
	{
		Name:        "tenant-quota",
		Description: "noisy-neighbour isolation: while a tenant (client) sends more than its quota, its traffic goes only to the isolation pool region; other tenants stay off the pool",
		Source:      srcSeed + ": use case multi-tenant isolation (noisy neighbours)",
		Precedence:  70,
		Params: sim.ParamSet{
			{Name: "client", Kind: sim.String, Default: "", Description: "the tenant watched; empty: every client"},
			{Name: "quota", Kind: sim.Float, Unit: "1/s", Default: 100.0, Min: sim.Bound(0), Description: "request rate above which the tenant is isolated"},
			{Name: "pool", Kind: sim.String, Default: "", Description: "the isolation pool's region"},
		},
		Build: func(p sim.Params) (PolicySource, error) {
			client, quota, pool := p.String("client"), p.Float("quota"), p.String("pool")
			if pool == "" {
				return nil, fmt.Errorf("tenant-quota needs a pool region")
			}
			return PolicySourceFunc(func(o *routectl.Observation, _ *routectl.Decision, out []routectl.Rule) []routectl.Rule {
				if (client == "" || o.Client == client) && o.Rate > quota {
					return append(out, routectl.Rule{Kind: routectl.RuleAllow, Regions: []string{pool}})
				}
				return append(out, routectl.Rule{Kind: routectl.RuleDeny, Region: pool})
			}), nil
		},
	},
	{
		Name:        "rule",
		Description: "a static rule: deny a region, allow only some, redirect one to another, or cap its share",
		Source:      srcSeed + ": policy composition",
		Precedence:  10,
		Params: sim.ParamSet{
			{Name: "rule", Kind: sim.Enum, Default: "deny", Choices: routectl.RuleKinds(), Description: "what the rule does"},
			{Name: "region", Kind: sim.String, Default: "", Description: "the region it is about (allow: comma-separated regions)"},
			{Name: "to", Kind: sim.String, Default: "", Description: "redirect: the region traffic goes to instead"},
			{Name: "share", Kind: sim.Ratio, Default: 0.5, Description: "cap: the largest share of traffic the region may get"},
			{Name: "client", Kind: sim.String, Default: "", Description: "only this client's traffic; empty: every client"},
		},
		Build: func(p sim.Params) (PolicySource, error) {
			r, err := StaticRule(p)
			if err != nil {
				return nil, err
			}
			return PolicySourceFunc(func(_ *routectl.Observation, _ *routectl.Decision, out []routectl.Rule) []routectl.Rule {
				return append(out, r)
			}), nil
		},
	},
}

// StaticRule reads a rule from the `rule` parameters (also used by the
// policy-conflict fault).
func StaticRule(p sim.Params) (routectl.Rule, error) {
	kind, _ := routectl.ParseRule(p.String("rule"))
	r := routectl.Rule{Kind: kind, Region: p.String("region"), To: p.String("to"), Share: p.Float("share"), Client: p.String("client")}
	switch {
	case kind == routectl.RuleAllow:
		r.Regions, r.Region = regionList(r.Region), ""
		if len(r.Regions) == 0 {
			return r, fmt.Errorf("an allow rule needs regions")
		}
	case r.Region == "":
		return r, fmt.Errorf("a %s rule needs a region", kind)
	case kind == routectl.RuleRedirect && r.To == "":
		return r, fmt.Errorf("a redirect rule needs to")
	}
	return r, nil
}

func denies(rules []routectl.Rule, region string) bool {
	return slices.ContainsFunc(rules, func(r routectl.Rule) bool { return r.Kind == routectl.RuleDeny && r.Region == region })
}

// budgetRules caps the most expensive regions until the projected spend
// fits limit.
func budgetRules(o *routectl.Observation, w []float64, limit float64, out []routectl.Rule) []routectl.Rule {
	regions, share, price := regionShares(o, w)
	spend := 0.0
	for i := range regions {
		spend += o.Rate * share[i] * price[i]
	}
	if spend <= limit || o.Rate <= 0 {
		return out
	}
	order := make([]int, len(regions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(price[b], price[a]) })
	cheapest := price[order[len(order)-1]]
	for _, i := range order {
		if spend <= limit || price[i] <= cheapest {
			break
		}
		// Move this region's share to the cheapest until the spend fits.
		excess := spend - limit
		cut := math.Min(share[i], excess/(o.Rate*(price[i]-cheapest)))
		share[i] -= cut
		spend -= cut * o.Rate * (price[i] - cheapest)
		out = append(out, routectl.Rule{Kind: routectl.RuleCap, Region: regions[i], Share: share[i]})
	}
	return out
}

// regionShares sums weights by region and averages the metered price.
func regionShares(o *routectl.Observation, w []float64) (regions []string, share, price []float64) {
	var n []float64
	for i := range o.Targets {
		r := &o.Targets[i]
		k := slices.Index(regions, r.Region)
		if k < 0 {
			regions = append(regions, r.Region)
			share, price, n = append(share, 0), append(price, 0), append(n, 0)
			k = len(regions) - 1
		}
		share[k] += w[i]
		if r.Valid {
			price[k] += r.Signals[routectl.SigBilled]
			n[k]++
		}
	}
	for k := range price {
		if n[k] > 0 {
			price[k] /= n[k]
		}
	}
	return regions, share, price
}

// PolicySourceUse is one configured source: its rules carry its name and
// precedence.
type PolicySourceUse struct {
	Name       string
	Precedence int
	Source     PolicySource
}

// PolicyLayer composes rules from several sources (and rules injected by
// faults) and applies them to decisions. It implements routectl.Policy.
type PolicyLayer struct {
	Sources []PolicySourceUse
	// Merge composes without precedence: every rule applies, and any two
	// that contradict (or a redirect cycle) reject the route.
	Merge bool
	rules []routectl.Rule
}

type ruleState struct {
	denied   map[string]string // region → source
	allowed  []string          // nil: any
	allowBy  string
	redirect map[string]string
	cap      map[string]float64
}

// Filter implements routectl.Policy.
func (l *PolicyLayer) Filter(o *routectl.Observation, d *routectl.Decision) routectl.Verdict {
	l.rules = l.rules[:0]
	for _, s := range l.Sources {
		start := len(l.rules)
		l.rules = s.Source.Rules(o, d, l.rules)
		for i := start; i < len(l.rules); i++ {
			l.rules[i].Source, l.rules[i].Precedence = s.Name, s.Precedence
		}
	}
	l.rules = append(l.rules, o.Rules...)
	rules := l.rules[:0:0]
	for _, r := range l.rules {
		if r.Client == "" || r.Client == o.Client {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return routectl.Verdict{}
	}
	slices.SortStableFunc(rules, func(a, b routectl.Rule) int { return b.Precedence - a.Precedence })
	st := ruleState{denied: map[string]string{}, redirect: map[string]string{}, cap: map[string]float64{}}
	var v routectl.Verdict
	var notes []string
	conflict := func(r routectl.Rule, why string) {
		if l.Merge {
			v.Rejected = true
		} else {
			v.Conflicts++
		}
		notes = append(notes, fmt.Sprintf("%s %s from %s %s", r.Kind, ruleTarget(r), r.Source, why))
	}
	permitted := func(region string) bool { return permittedRegion(region, &st) }
	for _, r := range rules {
		switch r.Kind {
		case routectl.RuleDeny:
			if st.allowed != nil && len(st.allowed) == 1 && st.allowed[0] == r.Region {
				conflict(r, "contradicts "+st.allowBy+"'s allow-list")
				continue
			}
			st.denied[r.Region] = r.Source
		case routectl.RuleAllow:
			next := r.Regions
			if st.allowed != nil {
				next = nil
				for _, x := range r.Regions {
					if slices.Contains(st.allowed, x) {
						next = append(next, x)
					}
				}
			}
			left := slices.ContainsFunc(next, func(x string) bool { _, d := st.denied[x]; return !d })
			if !left {
				conflict(r, "leaves no region the higher rules permit")
				continue
			}
			st.allowed, st.allowBy = next, r.Source
		case routectl.RuleRedirect:
			if !permitted(r.To) {
				conflict(r, "sends traffic where a higher rule forbids it")
				continue
			}
			if _, ok := st.redirect[r.Region]; ok {
				conflict(r, "overridden by another redirect")
				continue
			}
			if loops(st.redirect, r.Region, r.To) {
				v.Loops++
				notes = append(notes, fmt.Sprintf("route loop: %s → %s → … → %s", r.Region, r.To, r.Region))
				if l.Merge {
					v.Rejected = true
				}
				continue // the lower-precedence redirect closing the cycle is dropped
			}
			st.redirect[r.Region] = r.To
		case routectl.RuleCap:
			if c, ok := st.cap[r.Region]; !ok || r.Share < c {
				st.cap[r.Region] = r.Share
			}
		}
	}
	if v.Rejected {
		v.Note = strings.Join(notes, "; ")
		return v
	}
	if !apply(o, d.Weights, &st) {
		v.Rejected = true
		notes = append(notes, "no permitted route left")
	}
	for _, r := range rules {
		notes = append(notes, r.Source+": "+r.Kind.String()+" "+ruleTarget(r))
	}
	v.Note = strings.Join(notes, "; ")
	return v
}

func ruleTarget(r routectl.Rule) string {
	switch r.Kind {
	case routectl.RuleAllow:
		return "[" + strings.Join(r.Regions, ",") + "]"
	case routectl.RuleRedirect:
		return r.Region + "→" + r.To
	case routectl.RuleCap:
		return fmt.Sprintf("%s≤%.2f", r.Region, r.Share)
	}
	return r.Region
}

// loops reports whether adding from → to closes a redirect cycle.
func loops(redirect map[string]string, from, to string) bool {
	for x, steps := to, 0; steps <= len(redirect); steps++ {
		if x == from {
			return true
		}
		next, ok := redirect[x]
		if !ok {
			return false
		}
		x = next
	}
	return true
}

// apply rewrites w by the composed rules; false when no weight is left.
func apply(o *routectl.Observation, w []float64, st *ruleState) bool {
	n := len(w)
	final := func(region string) string {
		for steps := 0; steps <= len(st.redirect); steps++ {
			to, ok := st.redirect[region]
			if !ok {
				break
			}
			region = to
		}
		return region
	}
	// Redirects: a region's weight moves to its final destination's
	// targets, in proportion to their weights (evenly when they have none).
	moved := make([]float64, n)
	for i := range o.Targets {
		from := o.Targets[i].Region
		to := final(from)
		if to == from {
			moved[i] += w[i]
			continue
		}
		dest, sum := 0, 0.0
		for j := range o.Targets {
			if o.Targets[j].Region == to {
				dest++
				sum += w[j]
			}
		}
		for j := range o.Targets {
			if o.Targets[j].Region != to {
				continue
			}
			if sum > 0 {
				moved[j] += w[i] * w[j] / sum
			} else if dest > 0 {
				moved[j] += w[i] / float64(dest)
			}
		}
	}
	copy(w, moved)
	for i := range o.Targets {
		if !permittedRegion(o.Targets[i].Region, st) {
			w[i] = 0
		}
	}
	if !topology.Weights(w).Normalize() {
		// The engine weighted only forbidden targets: the policy's intent
		// is that traffic goes to the permitted ones, evenly.
		for i := range o.Targets {
			if permittedTarget(o, i, st) {
				w[i] = 1
			}
		}
		if !topology.Weights(w).Normalize() {
			return false
		}
	}
	// Caps: scale a capped region down to its share and spread the excess
	// over the permitted targets of uncapped regions (in proportion to
	// their weights, evenly when they have none). A cap nothing can absorb
	// is left unmet rather than dropping traffic.
	capped := make([]string, 0, len(st.cap))
	for r := range st.cap {
		capped = append(capped, r)
	}
	slices.Sort(capped)
	for _, region := range capped {
		c := st.cap[region]
		in, recv, receivers := 0.0, 0.0, 0
		for i := range o.Targets {
			reg := o.Targets[i].Region
			if reg == region {
				in += w[i]
				continue
			}
			if _, isCapped := st.cap[reg]; !isCapped && permittedTarget(o, i, st) {
				recv += w[i]
				receivers++
			}
		}
		if in <= c || receivers == 0 {
			continue
		}
		excess := in - c
		for i := range o.Targets {
			reg := o.Targets[i].Region
			if reg == region {
				w[i] *= c / in
				continue
			}
			if _, isCapped := st.cap[reg]; isCapped || !permittedTarget(o, i, st) {
				continue
			}
			if recv > 0 {
				w[i] += excess * w[i] / recv
			} else {
				w[i] += excess / float64(receivers)
			}
		}
	}
	return topology.Weights(w).Normalize()
}

func permittedRegion(reg string, st *ruleState) bool {
	_, d := st.denied[reg]
	return !d && (st.allowed == nil || slices.Contains(st.allowed, reg))
}

func permittedTarget(o *routectl.Observation, i int, st *ruleState) bool {
	return permittedRegion(o.Targets[i].Region, st) && !(o.Targets[i].Valid && o.Targets[i].Signals[routectl.SigUnhealthy] >= 1)
}
