package scenarios

import (
	"fmt"
	"math"
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
	Operation   string     `yaml:"operation" doc:"the callee's operation the call asks for (topology.services[].operations); default: one drawn by the callee's weights"`
	Parallel    []CallSpec `yaml:"parallel" doc:"calls made at once, for a step of several; the step ends when all have"`
}

// CallSpec is one call of a parallel step.
type CallSpec struct {
	Call        string   `yaml:"call,required" doc:"the service called"`
	Timeout     Duration `yaml:"timeout" default:"0s" doc:"how long the caller waits for the call, all its retries included; 0 means no limit"`
	Optional    bool     `yaml:"optional" default:"false" doc:"the call's failure degrades the response but does not fail the request"`
	Probability Ratio    `yaml:"probability" default:"1" doc:"the share of requests that make the call (0.3 or 30%)"`
	Operation   string   `yaml:"operation" doc:"the callee's operation the call asks for (topology.services[].operations); default: one drawn by the callee's weights"`
}

// OperationSpec is one kind of request a service serves.
type OperationSpec struct {
	Name        string     `yaml:"name,required" doc:"operation name, unique within the service (e.g. GET /cart or checkout)"`
	Weight      float64    `yaml:"weight" default:"1" doc:"its share of the requests that name no operation, relative to the other operations' weights (0: only when named)"`
	ServiceTime *Dist      `yaml:"service_time" doc:"its own work per request (a duration or a distribution); default: the service's service_time"`
	Calls       []CallStep `yaml:"calls" doc:"what a replica calls for it once its own work is done, as a service's calls"`
}

// callList is one list of a service's calls and where it is written: the
// service's own, or one operation's.
type callList struct {
	path  string // .calls of the service or of the operation
	steps []CallStep
}

// callLists returns service s's lists of calls (s at path p): its own, and
// each of its operations'.
func (s *Service) callLists(p string) []callList {
	ls := []callList{{join(p, "calls"), s.Calls}}
	for k := range s.Operations {
		ls = append(ls, callList{join(index(join(p, "operations"), k), "calls"), s.Operations[k].Calls})
	}
	return ls
}

// allCalls returns every call service s makes, in any operation.
func (s *Service) allCalls() []CallSpec {
	var cs []CallSpec
	for _, l := range s.callLists("") {
		for _, st := range l.steps {
			cs = append(cs, st.calls()...)
		}
	}
	return cs
}

// operationNames lists service s's operations.
func (s *Service) operationNames() []string {
	var names []string
	for _, o := range s.Operations {
		if !slices.Contains(names, o.Name) { // a name declared twice is reported on its own
			names = append(names, o.Name)
		}
	}
	return names
}

// calls lists the step's calls, whichever way it was written.
func (s CallStep) calls() []CallSpec {
	if len(s.Parallel) > 0 {
		return s.Parallel
	}
	return []CallSpec{{Call: s.Call, Timeout: s.Timeout, Optional: s.Optional, Probability: s.Probability, Operation: s.Operation}}
}

// callDefaults makes every call of service s (at path p) certain unless a
// probability was written, and gives its operations weight 1 unless one
// was written.
func callDefaults(d *decoder, p string, s *Service) {
	for k := range s.Operations {
		if !d.has(join(index(join(p, "operations"), k), "weight")) {
			s.Operations[k].Weight = 1
		}
	}
	for _, l := range s.callLists(p) {
		for k := range l.steps {
			sp := index(l.path, k)
			st := &l.steps[k]
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
}

// validateCalls checks every service's calls: steps of one kind, known
// callees, sane settings, and no cycle.
func (sc *Scenario) validateCalls(d *decoder) {
	names := sc.serviceNames()
	any := false
	for i := range sc.Topology.Services {
		s := &sc.Topology.Services[i]
		sc.validateOperations(d, index("topology.services", i), s)
		for _, l := range s.callLists(index("topology.services", i)) {
			for k, st := range l.steps {
				sp := index(l.path, k)
				any = true
				switch {
				case st.Call != "" && len(st.Parallel) > 0:
					d.errorPath(join(sp, "parallel"), "write two steps to call one after the other", "a step is one call or a parallel group, not both")
					continue
				case st.Call == "" && len(st.Parallel) == 0:
					d.errorPath(sp, "", "a step needs call (one service) or parallel (a list of calls)")
					continue
				case len(st.Parallel) > 0 && st.Operation != "":
					d.errorPath(join(sp, "operation"), "name the operation in each call of the group", "a parallel step has no operation of its own")
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
					case c.Operation != "":
						sc.checkOperation(d, join(cp, "operation"), c.Call, c.Operation)
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
	}
	for i, c := range sc.Topology.Clients {
		if c.Operation != "" && slices.Contains(names, c.Target) {
			sc.checkOperation(d, join(index("topology.clients", i), "operation"), c.Target, c.Operation)
		}
	}
	if !any {
		return
	}
	if cyc := sc.callCycle(); cyc != nil {
		i := slices.Index(names, cyc[0])
		at := join(index("topology.services", i), "calls")
		if len(sc.Topology.Services[i].Operations) > 0 {
			at = join(index("topology.services", i), "operations")
		}
		d.errorPath(at, "calls must form a DAG: break the cycle", "services call each other in a cycle: %s", strings.Join(cyc, " → "))
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
		for _, c := range sc.Topology.Services[i].allCalls() {
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

// validateOperations checks service s's operations (s at path p): named
// once each, weights that add up to something, calls in the operations
// rather than beside them.
func (sc *Scenario) validateOperations(d *decoder, p string, s *Service) {
	if len(s.Operations) == 0 {
		return
	}
	if len(s.Calls) > 0 {
		d.errorPath(join(p, "calls"), "move the calls into the operations that make them", "a service with operations has its calls in each operation")
	}
	if len(s.Operations) > MaxListItems {
		d.errorPath(join(p, "operations"), "split the service", "has %d items; a service may have at most %d", len(s.Operations), MaxListItems)
		return
	}
	seen := map[string]bool{}
	sum := 0.0
	for k, o := range s.Operations {
		op := index(join(p, "operations"), k)
		if seen[o.Name] {
			d.errorPath(join(op, "name"), "give each operation its own name", "operation %q is declared twice in service %s", o.Name, s.Name)
		}
		seen[o.Name] = true
		if !(o.Weight >= 0) || math.IsInf(o.Weight, 1) {
			d.errorPath(join(op, "weight"), "", "must be a finite number ≥ 0, got %g", o.Weight)
			continue
		}
		sum += o.Weight
	}
	switch {
	case sum == 0:
		d.errorPath(join(p, "operations"), "give at least one operation a weight > 0", "every operation has weight 0, so a request that names none has none to ask for")
	case math.IsInf(sum, 1):
		d.errorPath(join(p, "operations"), "use smaller weights: only their ratios matter", "the operations' weights add up to more than a float can hold")
	}
}

// checkOperation checks that service svc has operation name (written at
// path).
func (sc *Scenario) checkOperation(d *decoder, path, svc, name string) {
	i := slices.Index(sc.serviceNames(), svc)
	if i < 0 {
		return // reported on its own
	}
	s := &sc.Topology.Services[i]
	if len(s.Operations) == 0 {
		d.errorPath(path, "leave operation out, or declare the operations of "+svc+" (topology.services[].operations)", "service %s has no operations", svc)
		return
	}
	if ops := s.operationNames(); !slices.Contains(ops, name) {
		d.errorPath(path, didYouMean(name, ops), "service %s has no operation %q; its operations are %s", svc, name, strings.Join(ops, ", "))
	}
}

// checkOperationMetric resolves a check on a metric measured per
// operation of a service, which must name one (NAME:SERVICE/OPERATION);
// it reports whether the metric is one of those, and whether the check is
// valid.
func (sc *Scenario) checkOperationMetric(d *decoder, path string, c *Check, base, qual string, qualified bool) (handled, ok bool) {
	if !slices.Contains(metrics.OperationMetrics, base) {
		return false, false
	}
	var names []string
	for _, s := range sc.Topology.Services {
		for _, o := range s.Operations {
			if n := metrics.OperationName(s.Name, o.Name); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		d.errorPath(path, "declare operations under topology.services[].operations", "%s is measured per operation of a service, and this scenario's services have none", base)
		return true, false
	}
	return true, namedMetric(d, path, c, base, qual, qualified, "operation", "SERVICE/OPERATION", names)
}

// topologyCalls turns a list of calls into the world's steps.
func (sc *Scenario) topologyCalls(calls []CallStep) []topology.Step {
	var steps []topology.Step
	names := sc.serviceNames()
	for _, st := range calls {
		var step topology.Step
		for _, c := range st.calls() {
			step = append(step, topology.Call{
				Service: slices.Index(names, c.Call), Optional: c.Optional,
				Probability: float64(c.Probability), Timeout: c.Timeout.T(), Operation: c.Operation,
			})
		}
		steps = append(steps, step)
	}
	return steps
}

// topologyOperations turns a service's operations into the world's.
func (sc *Scenario) topologyOperations(s Service) []topology.Operation {
	var ops []topology.Operation
	for _, o := range s.Operations {
		ops = append(ops, topology.Operation{Name: o.Name, Weight: o.Weight, ServiceTime: distOrNil(o.ServiceTime), Calls: sc.topologyCalls(o.Calls)})
	}
	return ops
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
			return s.Name == o.From && slices.ContainsFunc(s.allCalls(), func(c CallSpec) bool { return c.Call == o.Service })
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
			for _, cl := range s.allCalls() {
				if e := metrics.EdgeName(s.Name, cl.Call); cl.Call != "" && !slices.Contains(names, e) {
					names = append(names, e)
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
	per := map[bool]string{true: "service", false: "call edge"}[slices.Contains(metrics.ServiceMetrics, base)]
	return true, namedMetric(d, path, c, base, qual, qualified, per, "NAME", names)
}

// hasCalls reports whether any service calls another, or a declared edge
// forwards to one (its hop is a call).
func (sc *Scenario) hasCalls() bool {
	return len(sc.Topology.Edges) > 0 || slices.ContainsFunc(sc.Topology.Services, func(s Service) bool { return len(s.allCalls()) > 0 })
}
