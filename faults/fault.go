package faults

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// TargetKind is what a fault kind acts on.
type TargetKind uint8

const (
	Replicas TargetKind = iota // service replicas
	Places                     // zones (network faults between places)
	// Nodes are state-model nodes: replicas (including control-plane
	// members), edges and the implicit controller, or with a client filter
	// the SDKs (sidecars) of that client's callers and its edge.
	Nodes
)

func (k TargetKind) String() string {
	switch k {
	case Places:
		return "places"
	case Nodes:
		return "nodes"
	}
	return "replicas"
}

// Mode is how many of the matching targets a fault hits (after Chaos
// Mesh's selector modes).
type Mode uint8

const (
	All     Mode = iota // every matching target
	One                 // one, chosen at random
	Count               // Value of them, chosen at random
	Percent             // Value percent of them (rounded down, at least one), chosen at random
)

var modeNames = [...]string{"all", "one", "count", "percent"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode maps a mode's name to the Mode.
func ParseMode(s string) (Mode, error) {
	if i := slices.Index(modeNames[:], s); i >= 0 {
		return Mode(i), nil
	}
	return 0, fmt.Errorf("unknown mode %q (want %s)", s, strings.Join(modeNames[:], ", "))
}

// Modes lists the mode names.
func Modes() []string { return slices.Clone(modeNames[:]) }

// Selector says which targets a fault hits: those matching every filter
// that is set, then Mode picks among them.
type Selector struct {
	Service string   // replicas of this service
	Region  string   // targets in this region
	Zone    string   // targets in this zone ("region/zone")
	Names   []string // targets with these names (replica names such as api-0, or zones such as east/a)
	Client  string   // Nodes: the SDKs of this client's callers instead of replicas
	Mode    Mode
	Value   float64 // the count for Count, the percentage for Percent
	// Edge: the instances of this declared edge gateway. An edge's
	// instances are targets only of a selector that names them (by Edge,
	// Service or Names), never of one that matches every replica.
	Edge string
}

// String describes the selector as a scenario file would write it.
func (s Selector) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	add("service", s.Service)
	add("edge", s.Edge)
	add("region", s.Region)
	add("zone", s.Zone)
	add("client", s.Client)
	if len(s.Names) > 0 {
		add("names", "["+strings.Join(s.Names, ", ")+"]")
	}
	parts = append(parts, "mode: "+s.Mode.String())
	if s.Mode == Count || s.Mode == Percent {
		parts = append(parts, fmt.Sprintf("value: %g", s.Value))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Targets are the resolved targets of one firing of a fault, with the
// fault's own random stream for injectors that draw (faults/<index>).
type Targets struct {
	Replicas []*topology.Replica
	Places   []topology.PlaceID
	Rand     *rand.Rand
	Nodes    []*state.Node
}

// Names lists the targets' names, in world order.
func (t Targets) Names(w *topology.World) []string {
	var n []string
	for _, r := range t.Replicas {
		n = append(n, r.Name)
	}
	for _, p := range t.Places {
		n = append(n, w.Places[p].String())
	}
	for _, x := range t.Nodes {
		n = append(n, x.Name)
	}
	return n
}

// Injector applies one fault to its targets: Inject switches it on and
// returns the function that switches it off. Implementations act through
// the world's composable seams, so overlapping faults combine.
type Injector interface {
	Inject(w *topology.World, t Targets) (revert func())
}

// InjectorFunc adapts a function to Injector.
type InjectorFunc func(w *topology.World, t Targets) (revert func())

// Inject calls f.
func (f InjectorFunc) Inject(w *topology.World, t Targets) func() { return f(w, t) }

// Def declares a fault kind.
type Def struct {
	Name        string
	Description string
	Source      string // the failure mode it reproduces: E-F2 is F2 of the entanglement-routing document
	Targets     TargetKind
	Params      sim.ParamSet
	// Build returns the injector for complete, checked parameters.
	Build func(p sim.Params) (Injector, error)
}

// Fault is one scheduled fault.
type Fault struct {
	Def      *Def
	Target   Selector
	Start    sim.Time
	Duration sim.Time // 0: permanent (never switched off)
	Params   sim.Params
}

// candidates lists the targets matching s, in world order.
func (s Selector) candidates(w *topology.World, kind TargetKind) Targets {
	var t Targets
	inPlace := func(p topology.PlaceID) bool {
		pl := w.Places[p]
		return (s.Region == "" || pl.Region == s.Region) && (s.Zone == "" || pl.String() == s.Zone)
	}
	switch kind {
	case Replicas:
		for _, r := range w.Replicas { // those provisioned now: an autoscaler's idle pool is not there to hit
			if !r.Provisioned() || r.Service.Edge && s.Edge == "" && s.Service == "" && len(s.Names) == 0 || s.Edge != "" && r.Service.Name != s.Edge {
				continue
			}
			if (s.Service == "" || r.Service.Name == s.Service) && inPlace(r.Place) &&
				(len(s.Names) == 0 || slices.Contains(s.Names, r.Name)) {
				t.Replicas = append(t.Replicas, r)
			}
		}
	case Nodes:
		if state.Of(w) == nil {
			break
		}
		named := func(n *state.Node) bool { return len(s.Names) == 0 || slices.Contains(s.Names, n.Name) }
		if s.Client != "" {
			for _, c := range w.Callers {
				n := state.Of(w).CallerNode(c)
				if c.Client.Name == s.Client && inPlace(c.Place) && named(n) {
					t.Nodes = append(t.Nodes, n)
				}
			}
			for _, e := range w.Edges { // with a routing control plane, the client's edge too
				if n := state.Of(w).EdgeNode(e); n != nil && e.Client.Name == s.Client && inPlace(n.Place) && named(n) {
					t.Nodes = append(t.Nodes, n)
				}
			}
			break
		}
		for _, r := range w.Replicas {
			if (s.Service == "" || r.Service.Name == s.Service) && inPlace(r.Place) &&
				(len(s.Names) == 0 || slices.Contains(s.Names, r.Name)) {
				t.Nodes = append(t.Nodes, state.Of(w).NodeOf(r))
			}
		}
		if s.Service == "" { // edges and the implicit controller are nodes of no service
			for _, e := range w.Edges {
				if n := state.Of(w).EdgeNode(e); n != nil && inPlace(n.Place) && named(n) {
					t.Nodes = append(t.Nodes, n)
				}
			}
			if n := state.Of(w).Controller(); n != nil && inPlace(n.Place) && named(n) {
				t.Nodes = append(t.Nodes, n)
			}
		}
	case Places:
		for i, pl := range w.Places {
			p := topology.PlaceID(i)
			if inPlace(p) && (len(s.Names) == 0 || slices.Contains(s.Names, pl.String()) || slices.Contains(s.Names, pl.Region)) {
				t.Places = append(t.Places, p)
			}
		}
	}
	return t
}

// pick returns how many of n candidates the mode selects.
func (s Selector) pick(n int) int {
	switch s.Mode {
	case One:
		return min(1, n)
	case Count:
		return min(int(s.Value), n)
	case Percent:
		if n == 0 || s.Value <= 0 {
			return 0
		}
		return min(max(1, int(math.Floor(float64(n)*s.Value/100))), n)
	}
	return n
}

// Resolve picks the targets of s among the world's, drawing the random
// choice from rng. The result is in world order.
func (s Selector) Resolve(w *topology.World, kind TargetKind, rng *rand.Rand) Targets {
	all := s.candidates(w, kind)
	n := len(all.Replicas) + len(all.Places) + len(all.Nodes)
	k := s.pick(n)
	all.Rand = rng
	if k == n {
		return all
	}
	chosen := rng.Perm(n)[:k]
	slices.Sort(chosen)
	t := Targets{Rand: rng}
	for _, i := range chosen {
		switch kind {
		case Replicas:
			t.Replicas = append(t.Replicas, all.Replicas[i])
		case Nodes:
			t.Nodes = append(t.Nodes, all.Nodes[i])
		default:
			t.Places = append(t.Places, all.Places[i])
		}
	}
	return t
}
