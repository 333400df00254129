package scenarios

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// EdgeNode is an edge gateway with capacity (topology/edges.go): clients
// naming it (edge: NAME) send to it, and it forwards to their target with
// its own route timeout and retries.
type EdgeNode struct {
	Name        string    `yaml:"name,required" doc:"edge name; clients enter through it with edge: NAME, faults target it with target: {edge: NAME}"`
	Replicas    int       `yaml:"replicas" default:"1" doc:"gateway instances"`
	Concurrency int       `yaml:"concurrency" default:"1024" doc:"requests each instance has in progress at once, held until the upstream answers; the default is Envoy's circuit-breaker max_requests toward the upstream cluster (1024), whose overflow is refused at once"`
	Queue       QueueCap  `yaml:"queue" default:"0" doc:"requests waiting per instance beyond its concurrency before it refuses them (a rejection, Envoy's overload 503): unbounded or a number; 0 refuses at once"`
	ServiceTime *Dist     `yaml:"service_time" default:"0s" doc:"the edge's own processing per request (a duration or a distribution); slowdown faults scale it"`
	Timeout     Duration  `yaml:"timeout" default:"15s" doc:"route timeout: how long the edge waits for its target, retries included (Envoy's default 15s); 0 means none"`
	Retries     RawParams `yaml:"retries" doc:"the edge's retry policy toward its target, keys as a strategy's retries (see tangle list strategies); absent: no retries (Envoy's route default)"`
	Zones       []string  `yaml:"zones" doc:"places the instances run in, round robin (region or region/zone); default: the first zone"`

	retry *topology.RetryPolicy
}

// EdgeUse is a client's edge: true for a capacity-free gateway that picks
// a region of the target, or the name of a declared edge (topology.edges).
type EdgeUse string

const edgeGateway EdgeUse = "true"

func (e *EdgeUse) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, "true, false or an edge's name")
	if !ok {
		return
	}
	if n.Tag == "!!bool" {
		if s == "true" || s == "True" || s == "TRUE" {
			*e = edgeGateway
		} else {
			*e = ""
		}
		return
	}
	if err := controlFree(s); err != nil {
		dec.errorAt(n, path, "", "%v", err)
		return
	}
	*e = EdgeUse(s)
}

func (e EdgeUse) String() string {
	if e == "" {
		return "false"
	}
	return string(e)
}

// Gateway reports whether the client goes through a capacity-free edge
// that picks a region (edge: true).
func (e EdgeUse) Gateway() bool { return e == edgeGateway }

// Node is the declared edge the client enters through, or "".
func (e EdgeUse) Node() string {
	if e == edgeGateway {
		return ""
	}
	return string(e)
}

// edgeDefaults fills the declared edges' defaults.
func (sc *Scenario) edgeDefaults(d *decoder) {
	for i := range sc.Topology.Edges {
		e := &sc.Topology.Edges[i]
		p := index("topology.edges", i)
		if !d.has(join(p, "replicas")) {
			e.Replicas = 1
		}
		if !d.has(join(p, "concurrency")) {
			e.Concurrency = 1024
		}
		if !d.has(join(p, "timeout")) {
			e.Timeout = Duration(15 * sim.Second)
		}
	}
}

func (sc *Scenario) edgeNodeNames() []string {
	var n []string
	for _, e := range sc.Topology.Edges {
		if !slices.Contains(n, e.Name) {
			n = append(n, e.Name)
		}
	}
	return n
}

// edgeTarget is the service edge e forwards to: its clients' target ("" if
// it has no client).
func (sc *Scenario) edgeTarget(e string) string {
	for _, c := range sc.Topology.Clients {
		if c.Edge.Node() == e {
			return c.Target
		}
	}
	return ""
}

// validateEdges checks the declared edges and the clients entering
// through them.
func (sc *Scenario) validateEdges(d *decoder) {
	names := sc.edgeNodeNames()
	services := sc.serviceNames()
	if len(sc.Topology.Edges) > MaxListItems {
		d.errorPath("topology.edges", "split the scenario", "has %d items; a scenario may have at most %d", len(sc.Topology.Edges), MaxListItems)
		return
	}
	seen := map[string]bool{}
	for i := range sc.Topology.Edges {
		e := &sc.Topology.Edges[i]
		p := index("topology.edges", i)
		switch {
		case e.Name == "" || e.Name == "true" || e.Name == "false" || strings.ContainsAny(e.Name, ":/>"):
			d.errorPath(join(p, "name"), "", "an edge's name must be a word other than true or false, without ':', '/' or '>', got %q", e.Name)
		case seen[e.Name]:
			d.errorPath(join(p, "name"), "", "edge %q is declared twice", e.Name)
		case slices.Contains(services, e.Name):
			d.errorPath(join(p, "name"), "rename the edge", "a service is called %q already", e.Name)
		}
		seen[e.Name] = true
		if e.Replicas < 1 || e.Replicas > MaxReplicas {
			d.errorPath(join(p, "replicas"), "", "must be between 1 and %d, got %d", MaxReplicas, e.Replicas)
		}
		if e.Concurrency < 1 {
			d.errorPath(join(p, "concurrency"), "", "must be at least 1, got %d", e.Concurrency)
		}
		if e.Timeout < 0 {
			d.errorPath(join(p, "timeout"), "", "must not be negative (0 means none)")
		}
		for j, z := range e.Zones {
			if _, err := sc.placesOf(z); err != nil {
				d.errorPath(index(join(p, "zones"), j), sc.placeHint(z), "%v", err)
			}
		}
		if d.has(join(p, "retries")) {
			if vals, ok := readParams(d, join(p, "retries"), "retries", strategies.RetryParams, e.Retries); ok {
				pol, err := strategies.RetryPolicy(vals)
				if err != nil {
					d.errorPath(join(p, "retries"), "", "%v", err)
				}
				e.retry = &pol
			}
		}
		if sc.edgeTarget(e.Name) == "" {
			d.errorPath(join(p, "name"), "give a client edge: "+e.Name+", or leave the edge out", "no client enters through edge %q", e.Name)
		}
	}
	for i, c := range sc.Topology.Clients {
		e := c.Edge.Node()
		if e == "" {
			continue
		}
		p := join(index("topology.clients", i), "edge")
		if !slices.Contains(names, e) {
			hint := didYouMean(e, names)
			if len(names) == 0 {
				hint = "declare it under topology.edges, or write edge: true for a gateway that only picks a region"
			}
			d.errorPath(p, hint, "unknown edge %q; declared edges are %s (or true, a gateway that only picks a region)", e, strings.Join(names, ", "))
			continue
		}
		if t := sc.edgeTarget(e); t != c.Target {
			d.errorPath(join(index("topology.clients", i), "target"), "declare a second edge for this target", "edge %q forwards to %s (its first client's target), not to %s: an edge has one upstream", e, t, c.Target)
		}
	}
	if len(sc.Topology.Edges) == 0 || slices.ContainsFunc(sc.Topology.Services, func(s Service) bool { return len(s.Calls) > 0 }) {
		return // without edges nothing to refuse; with calls validateCalls refuses the same
	}
	if sc.routed() {
		d.errorPath("strategies", "", "a routing controller does not yet steer declared edges (topology.edges): its routes cover the clients' sidecars only")
	}
	if sc.State != nil {
		d.errorPath("state", "", "the state model and the datastore do not yet follow requests through declared edges (topology.edges): they track the clients' requests to a service only")
	}
}

// topologyEdges turns the declared edges into the world's; services is
// the world's service list (the edges are numbered after it).
func (sc *Scenario) topologyEdges(services []string) ([]topology.EdgeSpec, error) {
	var out []topology.EdgeSpec
	for _, e := range sc.Topology.Edges {
		es := topology.EdgeSpec{
			Name: e.Name, Target: slices.Index(services, sc.edgeTarget(e.Name)), Replicas: e.Replicas,
			Concurrency: e.Concurrency, QueueCapacity: int(e.Queue), ServiceTime: distOrNil(e.ServiceTime),
			Timeout: e.Timeout.T(), Retry: e.retry,
		}
		for _, z := range e.Zones {
			ids, err := sc.placesOf(z)
			if err != nil {
				return nil, err
			}
			es.Places = append(es.Places, ids...)
		}
		out = append(out, es)
	}
	return out, nil
}

// edgeHops lists the hop names (EDGE->TARGET) of the declared edges.
func (sc *Scenario) edgeHops() []string {
	var n []string
	for _, e := range sc.Topology.Edges {
		if t := sc.edgeTarget(e.Name); t != "" {
			n = append(n, metrics.EdgeName(e.Name, t))
		}
	}
	return n
}

// checkEdgeMetric resolves a check on a metric measured per declared edge
// (NAME:EDGE); it reports whether the metric is one, and whether the
// check is valid.
func (sc *Scenario) checkEdgeMetric(d *decoder, path string, c *Check, base, qual string, qualified bool) (handled, ok bool) {
	if !slices.Contains(metrics.EdgeMetrics, base) {
		return false, false
	}
	names := sc.edgeNodeNames()
	if len(names) == 0 {
		d.errorPath(path, "declare edges under topology.edges", "%s is measured per declared edge, and this scenario declares none", base)
		return true, false
	}
	return true, namedMetric(d, path, c, base, qual, qualified, "edge", "NAME", names)
}

// enterEdges adds the declared edges to spec and points the clients that
// enter through one at it (an edge is the service numbered after all of
// spec's services).
func (sc *Scenario) enterEdges(spec *topology.Spec) error {
	if len(sc.Topology.Edges) == 0 {
		return nil
	}
	var services []string
	for _, s := range spec.Services {
		services = append(services, s.Name)
	}
	edges, err := sc.topologyEdges(services)
	if err != nil {
		return err
	}
	spec.Edges = edges
	names := sc.edgeNodeNames()
	for i, c := range sc.Topology.Clients {
		if k := slices.Index(names, c.Edge.Node()); k >= 0 {
			spec.Clients[i].Service = len(spec.Services) + k
		}
	}
	return nil
}
