package faults

import (
	"slices"
	"strings"
)

// defs is every fault kind, sorted by name. Each family lives in its own
// file; add new families here.
var defs = sortDefs(nodeFaults, driftFaults)

func sortDefs(families ...[]*Def) []*Def {
	var all []*Def
	for _, f := range families {
		all = append(all, f...)
	}
	slices.SortFunc(all, func(a, b *Def) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(all); i++ {
		if all[i].Name == all[i-1].Name {
			panic("faults: duplicate kind " + all[i].Name)
		}
	}
	return all
}

// Defs returns every fault kind, sorted by name.
func Defs() []*Def { return slices.Clone(defs) }

// Lookup returns the fault kind called name.
func Lookup(name string) (*Def, bool) {
	i := slices.IndexFunc(defs, func(d *Def) bool { return d.Name == name })
	if i < 0 {
		return nil, false
	}
	return defs[i], true
}

// Names lists the fault kinds' names, sorted.
func Names() []string {
	var n []string
	for _, d := range defs {
		n = append(n, d.Name)
	}
	return n
}
