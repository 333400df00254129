package strategies

import (
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

// routings is every routing strategy. Each family lives in its own file;
// add new ones here.
var routings = sim.NewRegistry(func(d *RoutingDef) string { return d.Name },
	basicRoutings, wrrRoutings, leastRequestRoutings, peakEWMARoutings, hashRoutings, localityRoutings, grpcWRRRoutings)

// Routings returns every routing strategy, sorted by name.
func Routings() []*RoutingDef { return routings.All() }

// LookupRouting returns the routing strategy called name.
func LookupRouting(name string) (*RoutingDef, bool) { return routings.Lookup(name) }

// RoutingNames lists the routing strategies' names, sorted.
func RoutingNames() []string { return routings.Names() }
