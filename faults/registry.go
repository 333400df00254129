package faults

import "github.com/tangle-sim/tangle/sim"

// defs is every fault kind. Each family lives in its own file; add new
// families here.
var defs = sim.NewRegistry(func(d *Def) string { return d.Name }, nodeFaults, signalFaults, backendFaults, networkFaults, driftFaults, dataFaults, controlFaults)

// Defs returns every fault kind, sorted by name.
func Defs() []*Def { return defs.All() }

// Lookup returns the fault kind called name.
func Lookup(name string) (*Def, bool) { return defs.Lookup(name) }

// Names lists the fault kinds' names, sorted.
func Names() []string { return defs.Names() }
