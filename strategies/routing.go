package strategies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/topology"
)

// RoutingDef is a routing strategy (a picker) as scenario files name it.
type RoutingDef struct {
	Name        string
	Description string
	Source      string // the system and document it follows
	Params      []Param
	// Build returns the factory that makes one picker per decider, from
	// complete, checked parameter values.
	Build func(p Params) (topology.NewPicker, error)
}

// Defaults returns every parameter at its default.
func (d *RoutingDef) Defaults() Params {
	p := Params{}
	for _, pd := range d.Params {
		p[pd.Name] = pd.Default
	}
	return p
}

// Param returns the declaration of the named parameter.
func (d *RoutingDef) Param(name string) (Param, bool) {
	i := slices.IndexFunc(d.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return d.Params[i], true
}

// Complete fills defaults into p and checks every value; it returns a
// *ParamError for an unknown name or a bad value.
func (d *RoutingDef) Complete(p Params) (Params, error) {
	out := d.Defaults()
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		pd, ok := d.Param(k)
		if !ok {
			return nil, &ParamError{Param: k, Msg: fmt.Sprintf("routing %s has no parameter %q (it has: %s)", d.Name, k, d.paramNames())}
		}
		if err := pd.Check(p[k]); err != nil {
			return nil, err
		}
		out[k] = p[k]
	}
	return out, nil
}

func (d *RoutingDef) paramNames() string {
	if len(d.Params) == 0 {
		return "none"
	}
	var n []string
	for _, p := range d.Params {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

// routings is every routing strategy, sorted by name. Each family lives in
// its own file; add new ones here.
var routings = sortRoutings(basicRoutings)

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
