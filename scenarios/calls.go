package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// CallStep is one step of what a service calls while it serves: one call
// (call and its settings) or several made in parallel (parallel).
type CallStep struct {
	Call        string     `yaml:"call" doc:"the service called, for a step of one call"`
	Timeout     Duration   `yaml:"timeout" default:"0s" doc:"how long the caller waits for the call, all its retries included; 0 means no limit"`
	Optional    bool       `yaml:"optional" default:"false" doc:"the call's failure degrades the response but does not fail the request"`
	Probability Ratio      `yaml:"probability" default:"1" doc:"the share of requests that make the call (0.3 or 30%)"`
	Parallel    []CallSpec `yaml:"parallel" doc:"calls made at once, for a step of several; the step ends when all have"`
}

// CallSpec is one call of a parallel step.
type CallSpec struct {
	Call        string   `yaml:"call,required" doc:"the service called"`
	Timeout     Duration `yaml:"timeout" default:"0s" doc:"how long the caller waits for the call, all its retries included; 0 means no limit"`
	Optional    bool     `yaml:"optional" default:"false" doc:"the call's failure degrades the response but does not fail the request"`
	Probability Ratio    `yaml:"probability" default:"1" doc:"the share of requests that make the call (0.3 or 30%)"`
}

// calls lists the step's calls, whichever way it was written.
func (s CallStep) calls() []CallSpec {
	if len(s.Parallel) > 0 {
		return s.Parallel
	}
	return []CallSpec{{Call: s.Call, Timeout: s.Timeout, Optional: s.Optional, Probability: s.Probability}}
}

// callDefaults makes every call of service s (at path p) certain unless a
// probability was written.
func callDefaults(d *decoder, p string, s *Service) {
	for k := range s.Calls {
		sp := index(join(p, "calls"), k)
		st := &s.Calls[k]
		if !d.has(join(sp, "probability")) {
			st.Probability = 1
		}
		for j := range st.Parallel {
			if !d.has(join(index(join(sp, "parallel"), j), "probability")) {
				st.Parallel[j].Probability = 1
			}
		}
	}
}

// validateCalls checks every service's calls: steps of one kind, known
// callees, sane settings, and no cycle.
func (sc *Scenario) validateCalls(d *decoder) {
	names := sc.serviceNames()
	any := false
	for i, s := range sc.Topology.Services {
		p := join(index("topology.services", i), "calls")
		for k, st := range s.Calls {
			sp := index(p, k)
			any = true
			switch {
			case st.Call != "" && len(st.Parallel) > 0:
				d.errorPath(join(sp, "parallel"), "write two steps to call one after the other", "a step is one call or a parallel group, not both")
				continue
			case st.Call == "" && len(st.Parallel) == 0:
				d.errorPath(sp, "", "a step needs call (one service) or parallel (a list of calls)")
				continue
			}
			for j, c := range st.calls() {
				cp := sp
				if len(st.Parallel) > 0 {
					cp = index(join(sp, "parallel"), j)
				}
				switch {
				case !slices.Contains(names, c.Call):
					d.errorPath(join(cp, "call"), didYouMean(c.Call, names), "unknown service %q; services are %s", c.Call, strings.Join(names, ", "))
				case c.Call == s.Name:
					d.errorPath(join(cp, "call"), "", "service %q calls itself", s.Name)
				}
				if c.Timeout < 0 {
					d.errorPath(join(cp, "timeout"), "", "must not be negative (0 means no limit)")
				}
				if !(c.Probability > 0 && c.Probability <= 1) {
					d.errorPath(join(cp, "probability"), "leave the call out to never make it", "must be a ratio in (0, 1] (or 0%% to 100%%), got %g", float64(c.Probability))
				}
			}
		}
	}
	if !any {
		return
	}
	if cyc := sc.callCycle(); cyc != nil {
		i := slices.Index(names, cyc[0])
		d.errorPath(join(index("topology.services", i), "calls"), "calls must form a DAG: break the cycle", "services call each other in a cycle: %s", strings.Join(cyc, " → "))
	}
	if sc.routed() {
		d.errorPath("strategies", "", "a routing controller does not yet steer the calls between services (topology.services[].calls): its routes cover the clients' sidecars only")
	}
	if sc.State != nil {
		d.errorPath("state", "", "the state model and the datastore do not yet follow the calls between services (topology.services[].calls): they track the clients' requests only")
	}
}

// callCycle returns the names of services calling each other in a cycle
// (first repeated last), or nil.
func (sc *Scenario) callCycle() []string {
	names := sc.serviceNames()
	color := make([]uint8, len(names)) // 0 new, 1 on the path, 2 done
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		color[i] = 1
		path = append(path, names[i])
		for _, st := range sc.Topology.Services[i].Calls {
			for _, c := range st.calls() {
				j := slices.Index(names, c.Call)
				switch {
				case j < 0 || j == i:
					continue // reported on its own
				case color[j] == 1:
					k := slices.Index(path, names[j])
					return append(slices.Clone(path[k:]), names[j])
				case color[j] == 0:
					if cyc := visit(j); cyc != nil {
						return cyc
					}
				}
			}
		}
		path = path[:len(path)-1]
		color[i] = 2
		return nil
	}
	for i := range names {
		if color[i] == 0 {
			if cyc := visit(i); cyc != nil {
				return cyc
			}
		}
	}
	return nil
}

// topologyCalls turns a service's calls into the world's steps.
func (sc *Scenario) topologyCalls(s Service) []topology.Step {
	var steps []topology.Step
	names := sc.serviceNames()
	for _, st := range s.Calls {
		var step topology.Step
		for _, c := range st.calls() {
			step = append(step, topology.Call{
				Service: slices.Index(names, c.Call), Optional: c.Optional,
				Probability: float64(c.Probability), Timeout: c.Timeout.T(),
			})
		}
		steps = append(steps, step)
	}
	return steps
}

// ServiceStrategy overrides a strategy's routing, retries or guards for
// the sidecars that call one service: its clients' and those of the
// services calling it, or only those of one caller (from).
type ServiceStrategy struct {
	Service string     `yaml:"service,required" doc:"the service whose callers this applies to (its clients' sidecars and the sidecars of the services calling it)"`
	From    string     `yaml:"from" doc:"only the sidecars of this calling service (one call edge, which wins over an entry for the whole service); default: every caller"`
	Routing string     `yaml:"routing" doc:"picker those sidecars use (see tangle list strategies); default: the strategy's"`
	Params  RawParams  `yaml:"params" doc:"the picker's parameters"`
	Retries RawParams  `yaml:"retries" doc:"those sidecars' retry policy (see tangle list strategies); default: the strategy's"`
	Guards  []GuardUse `yaml:"guards" doc:"those sidecars' guards, instead of the strategy's (an empty list: none); default: the strategy's"`
	Hedging RawParams  `yaml:"hedging" doc:"those sidecars' hedging (see tangle list strategies), instead of the strategy's; default: the strategy's"`

	params sim.Params
	retry  *topology.RetryPolicy
	hedge  *topology.HedgePolicy
	guards []topology.NewGuard
}

// key is the override's key in topology.Routing.PerService.
func (o ServiceStrategy) key() string {
	if o.From != "" {
		return metrics.EdgeName(o.From, o.Service)
	}
	return o.Service
}

// validatePerService checks strategy s's per-service overrides (at p).
func (sc *Scenario) validatePerService(d *decoder, p string, s *Strategy) {
	names := sc.serviceNames()
	seen := map[string]bool{}
	for i := range s.PerService {
		o := &s.PerService[i]
		op := index(join(p, "per_service"), i)
		switch {
		case !slices.Contains(names, o.Service):
			d.errorPath(join(op, "service"), didYouMean(o.Service, names), "unknown service %q; services are %s", o.Service, strings.Join(names, ", "))
		case seen[o.key()]:
			d.errorPath(join(op, "service"), "", "%s is overridden twice in this strategy", o.key())
		}
		seen[o.key()] = true
		if o.From != "" && sc.edgeTarget(o.From) != o.Service && !slices.ContainsFunc(sc.Topology.Services, func(s Service) bool {
			return s.Name == o.From && slices.ContainsFunc(s.Calls, func(st CallStep) bool {
				return slices.ContainsFunc(st.calls(), func(c CallSpec) bool { return c.Call == o.Service })
			})
		}) {
			hint := ""
			if !slices.Contains(names, o.From) {
				hint = didYouMean(o.From, names)
			}
			d.errorPath(join(op, "from"), hint, "no service %q calls %s", o.From, o.Service)
		}
		switch {
		case o.Routing != "":
			o.params = sc.checkRouting(d, join(op, "routing"), join(op, "params"), o.Routing, o.Params)
		case len(o.Params) > 0:
			d.errorPath(join(op, "params"), "name the picker they are for", "params without routing")
		}
		if d.has(join(op, "retries")) {
			if vals, ok := readParams(d, join(op, "retries"), "retries", strategies.RetryParams, o.Retries); ok {
				pol, err := strategies.RetryPolicy(vals)
				if err != nil {
					d.errorPath(join(op, "retries"), "", "%v", err)
				}
				o.retry = &pol
			}
		}
		if d.has(join(op, "guards")) {
			o.guards = readGuards(d, join(op, "guards"), o.Guards)
			if o.guards == nil {
				o.guards = []topology.NewGuard{} // none, not the strategy's
			}
		}
		o.hedge = readHedging(d, join(op, "hedging"), o.Hedging)
		if h, r, rp := o.hedge, s.retry, join(p, "retries"); h != nil || s.hedge != nil && o.retry != nil {
			if h == nil {
				h = s.hedge
			}
			if o.retry != nil {
				r, rp = *o.retry, join(op, "retries")
			}
			at := join(op, "hedging")
			if o.hedge == nil {
				at = join(op, "retries")
			}
			checkHedging(d, at, rp, h, r)
		}
		if o.Routing == "" && !d.has(join(op, "retries")) && !d.has(join(op, "guards")) && !d.has(join(op, "hedging")) {
			d.errorPath(op, "", "overrides nothing: give routing, retries, guards or hedging")
		}
	}
}

// perServiceRouting adds strategy s's per-service and per-edge overrides
// to r.
func perServiceRouting(s *Strategy, r *topology.Routing) error {
	for _, o := range s.PerService {
		var sr topology.ServiceRouting
		if o.Routing != "" {
			def, ok := strategies.LookupRouting(o.Routing)
			if !ok {
				return fmt.Errorf("strategy %s: service %s: unknown routing %q", s.Name, o.Service, o.Routing)
			}
			caller, err := def.Build(o.params)
			if err != nil {
				return fmt.Errorf("strategy %s: service %s: %w", s.Name, o.Service, err)
			}
			sr.Caller = caller
		}
		sr.Retry, sr.Guards, sr.Hedge = o.retry, o.guards, o.hedge
		if r.PerService == nil {
			r.PerService = map[string]topology.ServiceRouting{}
		}
		r.PerService[o.key()] = sr
	}
	return nil
}

// checkGraphMetric resolves a check on a metric measured per service or
// per call edge, which must name one (NAME:SERVICE, NAME:FROM->TO); it
// reports whether the metric is one of those, and whether the check is
// valid.
func (sc *Scenario) checkGraphMetric(d *decoder, path string, c *Check, base, qual string, qualified bool) (handled, ok bool) {
	var names []string
	switch {
	case slices.Contains(metrics.ServiceMetrics, base):
		names = sc.serviceNames()
	case slices.Contains(metrics.CallMetrics, base):
		for _, s := range sc.Topology.Services {
			for _, st := range s.Calls {
				for _, cl := range st.calls() {
					if e := metrics.EdgeName(s.Name, cl.Call); cl.Call != "" && !slices.Contains(names, e) {
						names = append(names, e)
					}
				}
			}
		}
		names = append(names, sc.edgeHops()...)
	default:
		return false, false
	}
	if !sc.hasCalls() {
		d.errorPath(path, "", "%s is measured in scenarios whose services call each other (topology.services[].calls), and this one has no calls", base)
		return true, false
	}
	if c.Phase != "" {
		d.errorPath(path, "leave phase out", "%s is measured over the whole window, not by phase", base)
		return true, false
	}
	if !qualified || !slices.Contains(names, qual) {
		d.errorPath(path, didYouMean(qual, names), "%s is measured per %s: name one as %s:NAME (they are %s)", base, map[bool]string{true: "service", false: "call edge"}[slices.Contains(metrics.ServiceMetrics, base)], base, strings.Join(names, ", "))
		return true, false
	}
	c.metric = c.Metric
	return true, true
}

// hasCalls reports whether any service calls another, or a declared edge
// forwards to one (its hop is a call).
func (sc *Scenario) hasCalls() bool {
	return len(sc.Topology.Edges) > 0 || slices.ContainsFunc(sc.Topology.Services, func(s Service) bool { return len(s.Calls) > 0 })
}
