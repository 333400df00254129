package chaos

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// Source is where a generator draws its choices from: a seeded
// *rand.Rand (math/rand/v2) for `tangle chaos`, or rapid's *T through
// the scenariotest/gen adapter, so rapid can shrink the draws.
type Source interface {
	IntN(n int) int   // uniform in [0, n)
	Float64() float64 // uniform in [0, 1)
}

// Kind is a fault kind that applies to a scenario, with the base targets
// it can hit there.
type Kind struct {
	Def     *faults.Def
	Targets []scenarios.Target // one per service (replicas, nodes) or zone (places)
}

// Space is every fault schedule a scenario admits: the kinds that apply to
// its topology, their targets, the window faults start and end in, and
// each parameter's range (derived from the fault registry's declarations).
type Space struct {
	Base  *scenarios.Scenario
	Kinds []Kind
	// Faults start in [Start, End) and end by End: from a tenth into the
	// measurement window (a pre-fault baseline) to 40% of it (the rest is
	// room to recover), each lasting at most MaxLength (a quarter of that
	// span), so a strategy that recovers at all has time to show it.
	Start, End, MaxLength sim.Time
	MaxFaults             int // at most this many faults per schedule
}

// NewSpace returns the schedule space of sc, limited to the named kinds
// (all when empty). A kind is kept with a target when a fault of it with
// default parameters validates against sc's topology and the target
// resolves to something in the built world (state-model nodes need a
// state model, for one).
func NewSpace(sc *scenarios.Scenario, kinds []string, maxFaults int) (*Space, error) {
	for _, k := range kinds {
		if _, ok := faults.Lookup(k); !ok {
			return nil, fmt.Errorf("unknown fault kind %q; see tangle list faults", k)
		}
	}
	if maxFaults < 1 {
		maxFaults = 1
	}
	warm, dur := sc.Warmup.T(), sc.Duration.T()
	sp := &Space{Base: sc, Start: warm + (dur-warm)/10, End: warm + (dur-warm)*4/10, MaxFaults: maxFaults}
	sp.Start = sp.Start / sim.Second * sim.Second // whole seconds, for readable schedules
	sp.End = sp.End / sim.Second * sim.Second
	sp.MaxLength = max(sim.Second, (sp.End-sp.Start)/4/sim.Second*sim.Second)
	if sp.End-sp.Start < 2*sim.Second {
		return nil, fmt.Errorf("%s: the run is too short for fault schedules (%v after warmup)", sc.Name, dur-warm)
	}
	for _, def := range faults.Defs() {
		if len(kinds) > 0 && !slices.Contains(kinds, def.Name) {
			continue
		}
		k := Kind{Def: def}
		for _, t := range baseTargets(sc, def.Targets) {
			f := scenarios.Fault{Kind: def.Name, At: scenarios.Duration(sp.Start), Duration: scenarios.Duration(sim.Second), Target: t}
			if probe, err := sp.Apply([]scenarios.Fault{f}); err == nil && hits(probe, def) {
				k.Targets = append(k.Targets, t)
			}
		}
		if len(k.Targets) > 0 {
			sp.Kinds = append(sp.Kinds, k)
		}
	}
	if len(sp.Kinds) == 0 {
		return nil, fmt.Errorf("%s: no fault kind applies to its topology", sc.Name)
	}
	return sp, nil
}

// hits reports whether probe's only fault (of kind def) has a target in
// the world built for its first strategy.
func hits(probe *scenarios.Scenario, def *faults.Def) bool {
	b, err := probe.Build(0, probe.Seed)
	if err != nil {
		return false
	}
	t := probe.Schedule()[0].Target.Resolve(b.World, def.Targets, sim.NewStream(probe.Seed, "chaos/probe"))
	return len(t.Replicas)+len(t.Places)+len(t.Nodes) > 0
}

// baseTargets are the targets a kind may aim at in sc.
func baseTargets(sc *scenarios.Scenario, kind faults.TargetKind) []scenarios.Target {
	var out []scenarios.Target
	switch kind {
	case faults.Places:
		for _, r := range sc.Topology.Regions {
			out = append(out, scenarios.Target{Region: r.Name})
		}
	default:
		for _, s := range sc.Topology.Services {
			out = append(out, scenarios.Target{Service: s.Name})
		}
		if kind == faults.Replicas { // declared edges are nodes that fail too
			for _, e := range sc.Topology.Edges {
				out = append(out, scenarios.Target{Edge: e.Name})
			}
		}
	}
	return out
}

// KindNames lists the space's kinds.
func (sp *Space) KindNames() []string {
	var n []string
	for _, k := range sp.Kinds {
		n = append(n, k.Def.Name)
	}
	return n
}

// Apply returns the base scenario with its faults replaced by fs, written
// out and parsed again: the scenario a file with that schedule gives, so a
// failure found on it replays from the file.
func (sp *Space) Apply(fs []scenarios.Fault) (*scenarios.Scenario, error) {
	return WithFaults(sp.Base, fs)
}

// WithFaults returns sc with its faults replaced by fs (through its YAML).
func WithFaults(sc *scenarios.Scenario, fs []scenarios.Fault) (*scenarios.Scenario, error) {
	cp := *sc
	cp.Faults = fs
	return Reparse(&cp)
}

// Reparse writes sc out and parses it again (validating every change).
func Reparse(sc *scenarios.Scenario) (*scenarios.Scenario, error) {
	src, err := sc.YAML()
	if err != nil {
		return nil, err
	}
	return scenarios.Parse(sc.Source, src)
}

// Draw draws a schedule of 1 to MaxFaults faults of the given kinds (all
// of the space's when empty). Every drawn schedule validates against the
// base scenario.
func (sp *Space) Draw(src Source, kinds []string) []scenarios.Fault {
	pool := sp.Kinds
	if len(kinds) > 0 {
		pool = nil
		for _, k := range sp.Kinds {
			if slices.Contains(kinds, k.Def.Name) {
				pool = append(pool, k)
			}
		}
		if len(pool) == 0 {
			pool = sp.Kinds
		}
	}
	n := 1 + src.IntN(sp.MaxFaults)
	var out []scenarios.Fault
	for range n {
		k := pool[src.IntN(len(pool))]
		out = append(out, sp.drawFault(src, k))
	}
	return out
}

// Swarm draws a random non-empty subset of the space's kinds, each kept
// with probability 1/2 (swarm testing: Groce et al., ISSTA 2012).
func (sp *Space) Swarm(src Source) []string {
	var kinds []string
	for _, k := range sp.Kinds {
		if src.IntN(2) == 0 {
			kinds = append(kinds, k.Def.Name)
		}
	}
	if len(kinds) == 0 {
		kinds = append(kinds, sp.Kinds[src.IntN(len(sp.Kinds))].Def.Name)
	}
	return kinds
}

func (sp *Space) drawFault(src Source, k Kind) scenarios.Fault {
	t := k.Targets[src.IntN(len(k.Targets))]
	switch src.IntN(5) {
	case 0, 1: // all
	case 2:
		t.Mode = "one"
	default:
		t.Mode, t.Value = "percent", float64(10*(1+src.IntN(9)))
	}
	span := (sp.End - sp.Start) / sim.Second // whole seconds
	at := sp.Start + sim.Time(src.IntN(int(span)-1))*sim.Second
	length := sim.Time(1+src.IntN(int(min(sp.End-at, sp.MaxLength)/sim.Second))) * sim.Second
	f := scenarios.Fault{Kind: k.Def.Name, At: scenarios.Duration(at), Duration: scenarios.Duration(length), Target: t}
	// Each parameter is drawn with probability 1/2, else left at its
	// default; a combination the kind rejects falls back to the defaults.
	params := scenarios.RawParams{}
	vals := k.Def.Params.Defaults()
	for _, p := range k.Def.Params {
		if src.IntN(2) == 0 {
			continue
		}
		v, ok := DrawParam(src, p)
		if !ok {
			continue
		}
		params[p.Name] = &yaml.Node{Kind: yaml.ScalarNode, Value: sim.FormatValue(v)}
		vals[p.Name] = v
	}
	if _, err := k.Def.Build(vals); err == nil && len(params) > 0 {
		f.Params = params
	}
	return f
}

// ParamRange is the range a generator draws a numeric parameter from: its
// declared bounds, and where it has none, up to twice its default (at
// least 1, in the parameter's unit: seconds for durations).
func ParamRange(p sim.Param) (lo, hi float64) {
	def := 0.0
	switch v := p.Default.(type) {
	case int64:
		def = float64(v)
	case float64:
		def = v
	case sim.Time:
		def = v.Seconds()
	}
	if p.Min != nil {
		lo = *p.Min
	}
	if p.Kind == sim.Ratio {
		hi = 1
	} else {
		hi = max(2*def, lo+1)
	}
	if p.Max != nil {
		hi = min(hi, *p.Max)
	}
	return lo, max(lo, hi)
}

// DrawParam draws a value for p within its valid range, on a grid of a
// thousandth of the range (milliseconds for durations), so a scenario file
// shows it plainly. Strings (free text, names) are not
// drawn: ok is false.
func DrawParam(src Source, p sim.Param) (v any, ok bool) {
	lo, hi := ParamRange(p)
	u := src.Float64()
	switch p.Kind {
	case sim.Int:
		return int64(math.Ceil(lo)) + int64(src.IntN(int(math.Floor(hi)-math.Ceil(lo))+1)), true
	case sim.Float, sim.Ratio:
		// A thousandth of the range is the finest step, so values read
		// plainly (rapid draws tiny values such as 3e-182 often).
		return round3(lo+math.Round(u*1000)/1000*(hi-lo), lo, hi), true
	case sim.Duration:
		ms := math.Round((lo + u*(hi-lo)) * 1000)
		return sim.Seconds(min(max(ms/1000, lo), hi)), true
	case sim.Bool:
		return src.IntN(2) == 0, true
	case sim.Enum:
		if len(p.Choices) == 0 {
			return nil, false
		}
		return p.Choices[src.IntN(len(p.Choices))], true
	}
	return nil, false
}

// round3 rounds x to three significant digits, kept within [lo, hi].
func round3(x, lo, hi float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	if err != nil || r < lo || r > hi {
		return x
	}
	return r
}
