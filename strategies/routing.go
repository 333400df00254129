package strategies

import (
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// RoutingDef is a routing strategy (a picker) as scenario files name it.
type RoutingDef struct {
	Name        string
	Description string
	Source      string // the system and document it follows
	Params      sim.ParamSet
	// Build returns the factory that makes one picker per decider, from
	// complete, checked parameter values.
	Build func(p sim.Params) (topology.NewPicker, error)
}

// routings is every routing strategy, sorted by name. Each family lives in
// its own file; add new ones here.
var routings = sortRoutings(basicRoutings, wrrRoutings, leastRequestRoutings, peakEWMARoutings,
	hashRoutings, localityRoutings, grpcWRRRoutings)

func sortRoutings(families ...[]*RoutingDef) []*RoutingDef {
	var all []*RoutingDef
	for _, f := range families {
		all = append(all, f...)
	}
	slices.SortFunc(all, func(a, b *RoutingDef) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Routings returns every routing strategy, sorted by name.
func Routings() []*RoutingDef { return slices.Clone(routings) }

// LookupRouting returns the routing strategy called name.
func LookupRouting(name string) (*RoutingDef, bool) {
	i := slices.IndexFunc(routings, func(d *RoutingDef) bool { return d.Name == name })
	if i < 0 {
		return nil, false
	}
	return routings[i], true
}

// RoutingNames lists the routing strategies' names, sorted.
func RoutingNames() []string {
	var n []string
	for _, d := range routings {
		n = append(n, d.Name)
	}
	return n
}
