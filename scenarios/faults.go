package scenarios

// The scenario's faults: their YAML, their validation (kinds, parameters,
// targets) and the schedule they become.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/sim"
)

// Fault is one fault in the schedule.
type Fault struct {
	Kind     string    `yaml:"kind,required" doc:"the fault kind (see tangle list faults)"`
	At       Duration  `yaml:"at" default:"0s" doc:"when the fault starts"`
	Duration Duration  `yaml:"duration" default:"0s" doc:"how long it lasts; 0 means until the end of the run"`
	Target   Target    `yaml:"target" doc:"which targets it hits; default: every target of its kind"`
	Params   RawParams `yaml:"params" doc:"the fault kind's parameters"`

	def    *faults.Def
	params sim.Params
	sel    faults.Selector
}

// Target selects a fault's targets: the filters that are set must all
// match, then mode picks among the matches.
type Target struct {
	Service string   `yaml:"service" doc:"replicas of this service"`
	Region  string   `yaml:"region" doc:"targets in this region"`
	Zone    string   `yaml:"zone" doc:"targets in this zone (region/zone)"`
	Names   []string `yaml:"names" doc:"targets by name: replicas (api-0) or places (east/a)"`
	Client  string   `yaml:"client" doc:"faults on nodes: the SDKs of this client's callers instead of replicas"`
	Edge    string   `yaml:"edge" doc:"the instances of this declared edge (topology.edges); edges are hit only by a target that names them"`
	Mode    string   `yaml:"mode" default:"all" doc:"all, one, count or percent of the matches, chosen at random"`
	Value   float64  `yaml:"value" doc:"the count for mode count, the percentage for mode percent"`
}

func (sc *Scenario) validateFaults(d *decoder) {
	for i := range sc.Faults {
		f := &sc.Faults[i]
		p := index("faults", i)
		def, ok := faults.Lookup(f.Kind)
		if !ok {
			d.errorPath(join(p, "kind"), didYouMean(f.Kind, faults.Names()), "unknown fault kind %q; `tangle list faults` lists them", f.Kind)
			continue
		}
		f.def = def
		if f.At < 0 {
			d.errorPath(join(p, "at"), "", "must not be negative")
		} else if sc.Duration > 0 && f.At >= sc.Duration {
			d.errorPath(join(p, "at"), "", "starts at %v, after the run's duration (%v) ends", f.At, sc.Duration)
		}
		if f.Duration < 0 {
			d.errorPath(join(p, "duration"), "", "must not be negative (0 means until the end of the run)")
		}
		if params, ok := readParams(d, join(p, "params"), "fault "+f.Kind, def.Params, f.Params); ok {
			if _, err := def.Build(params); err != nil {
				d.errorPath(join(p, "params"), "", "%v", err)
			}
			sc.checkKeyParam(d, join(p, "params"), params)
			f.params = params
		}
		f.sel = sc.checkTarget(d, join(p, "target"), f.Target, def.Targets)
		sc.checkClientTarget(d, join(p, "target"), f.Target, def.Targets)
	}
}

// checkTarget validates a fault's target selector against the topology.
func (sc *Scenario) checkTarget(d *decoder, path string, t Target, kind faults.TargetKind) faults.Selector {
	sel := faults.Selector{Service: t.Service, Region: t.Region, Zone: t.Zone, Names: t.Names, Client: t.Client, Value: t.Value}
	if t.Service != "" {
		services := sc.serviceNames()
		if cp := sc.controlPlaneName(); cp != "" {
			services = append(services, cp)
		}
		if db := sc.datastoreName(); db != "" {
			services = append(services, db)
		}
		if kind != faults.Replicas && kind != faults.Nodes {
			d.errorPath(join(path, "service"), "", "this fault acts on %s, not on a service's replicas", kind)
		} else if !slices.Contains(services, t.Service) {
			d.errorPath(join(path, "service"), didYouMean(t.Service, services), "unknown service %q; services are %s", t.Service, strings.Join(services, ", "))
		}
	}
	if t.Edge != "" {
		sel.Edge = t.Edge
		switch {
		case kind != faults.Replicas:
			d.errorPath(join(path, "edge"), "", "this fault acts on %s, not on an edge's instances", kind)
		case t.Service != "":
			d.errorPath(join(path, "edge"), "leave service out", "a target names a service or an edge, not both")
		case !slices.Contains(sc.edgeNodeNames(), t.Edge):
			d.errorPath(join(path, "edge"), didYouMean(t.Edge, sc.edgeNodeNames()), "unknown edge %q; edges are %s", t.Edge, strings.Join(sc.edgeNodeNames(), ", "))
		}
	}
	if t.Region != "" && !slices.ContainsFunc(sc.Topology.Regions, func(r Region) bool { return r.Name == t.Region }) {
		d.errorPath(join(path, "region"), sc.placeHint(t.Region), "unknown region %q", t.Region)
	}
	if t.Zone != "" {
		if _, err := sc.placesOf(t.Zone); err != nil || !strings.Contains(t.Zone, "/") {
			d.errorPath(join(path, "zone"), didYouMean(t.Zone, sc.zoneNames()), "expected a zone written region/zone; zones are %s", strings.Join(sc.zoneNames(), ", "))
		}
	}
	for j, n := range t.Names {
		known := sc.zoneNames()
		switch {
		case kind == faults.Nodes && t.Client != "":
			known = append(sc.callerNames(t.Client), sc.edgeNames(t.Client)...)
		case kind == faults.Nodes:
			known = append(sc.replicaNames(), sc.edgeNames("")...)
			if sc.controlPlaneName() == "" && (sc.State != nil || sc.routed()) {
				known = append(known, "controller")
			}
		case kind == faults.Replicas:
			known = sc.replicaNames()
		default:
			for _, r := range sc.Topology.Regions {
				known = append(known, r.Name)
			}
		}
		if !slices.Contains(known, n) {
			d.errorPath(index(join(path, "names"), j), didYouMean(n, known), "no %s target is called %q", kind, n)
		}
	}
	mode := t.Mode
	if mode == "" {
		mode = "all"
	}
	m, err := faults.ParseMode(mode)
	if err != nil {
		d.errorPath(join(path, "mode"), didYouMean(mode, faults.Modes()), "expected one of %s, got %q", strings.Join(faults.Modes(), ", "), mode)
		return sel
	}
	sel.Mode = m
	switch {
	case m == faults.Count && (t.Value < 1 || t.Value != float64(int(t.Value))):
		d.errorPath(join(path, "value"), "", "mode count needs a whole number of targets, at least 1, got %g", t.Value)
	case m == faults.Percent && !(t.Value > 0 && t.Value <= 100):
		d.errorPath(join(path, "value"), "", "mode percent needs a percentage in (0, 100], got %g", t.Value)
	case (m == faults.All || m == faults.One) && d.has(join(path, "value")):
		d.errorPath(join(path, "value"), "", "mode %s takes no value", m)
	}
	return sel
}

func (sc *Scenario) zoneNames() []string {
	var n []string
	for _, r := range sc.Topology.Regions {
		for _, z := range r.Zones {
			n = append(n, r.Name+"/"+z)
		}
	}
	return n
}

// replicaNames lists every replica's name, as the world names them
// (control-plane members included).
func (sc *Scenario) replicaNames() []string {
	var n []string
	for _, s := range sc.Topology.Services {
		for i := 0; i < s.pool(); i++ {
			n = append(n, fmt.Sprintf("%s-%d", s.Name, i))
		}
	}
	for _, e := range sc.Topology.Edges {
		for i := 0; i < e.Replicas; i++ {
			n = append(n, fmt.Sprintf("%s-%d", e.Name, i))
		}
	}
	if cp, ok := sc.controlPlaneService(); ok {
		for i := 0; i < cp.Replicas; i++ {
			n = append(n, fmt.Sprintf("%s-%d", cp.Name, i))
		}
	}
	if db, ok := sc.datastoreService(); ok {
		for i := 0; i < db.Replicas; i++ {
			n = append(n, fmt.Sprintf("%s-%d", db.Name, i))
		}
	}
	return n
}

// edgeNames lists the node names of the edges (of one client, or all)
// when the routing control plane makes them nodes.
func (sc *Scenario) edgeNames(client string) []string {
	var n []string
	if !sc.routed() {
		return nil
	}
	for _, c := range sc.Topology.Clients {
		if c.Edge.Gateway() && (client == "" || c.Name == client) {
			n = append(n, c.Name+"/edge")
		}
	}
	return n
}

// callerNames lists the SDK node names of a client's callers.
func (sc *Scenario) callerNames(client string) []string {
	var n []string
	for _, c := range sc.Topology.Clients {
		if c.Name == client {
			for i := 0; i < c.Callers; i++ {
				n = append(n, fmt.Sprintf("%s/caller-%d", c.Name, i))
			}
		}
	}
	return n
}

// Schedule returns the scenario's fault schedule.
func (sc *Scenario) Schedule() faults.Schedule {
	var s faults.Schedule
	for _, f := range sc.Faults {
		s = append(s, faults.Fault{Def: f.def, Target: f.sel, Start: f.At.T(), Duration: f.Duration.T(), Params: f.params})
	}
	return s
}
