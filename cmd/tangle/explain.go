package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology/routectl"
)

var explainCmd = &command{
	name:    "explain",
	summary: "Explain one metric, routing strategy, guard, control-plane strategy, decision engine, policy, fault kind or scenario key, with an example.",
	usage:   "NAME",
	examples: `  tangle explain latency_p99                    # definition, unit, direction
  tangle explain round-robin                    # parameters with units, defaults and sources
  tangle explain crash                          # targets, parameters, a faults: snippet
  tangle explain scoring                        # a decision engine: signals, mitigations, a controller: snippet
  tangle explain flagger                        # a control-plane strategy (rollout), with its documented defaults
  tangle explain topology.telemetry.delay       # a scenario key: type, default, meaning`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle explain: name one metric, strategy, fault or scenario key (see tangle list)")
			}
			name := args[0]
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			found := 0
			for _, explain := range explainers {
				if ok := explain(tw, name, found > 0); ok {
					found++
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if found == 0 {
				hint := ""
				if s := scenarios.Suggest(name, explainable()); s != "" {
					hint = " (" + s + ")"
				}
				return usagef("tangle explain: nothing is called %q%s; see tangle list metrics|strategies|faults, or docs/scenario-format.md for keys", name, hint)
			}
			return nil
		}
	},
}

// explainers each explain name if it is theirs (a metric, a routing, a
// guard, an autoscaler, a control-plane strategy, a fault kind, a decision engine, a
// policy, a scenario key), after a blank line when sep.
var explainers = []func(w io.Writer, name string, sep bool) bool{
	explainer(metrics.Describe, explainMetric),
	explainer(strategies.LookupRouting, explainRouting),
	explainer(strategies.LookupGuard, explainGuard),
	explainer(strategies.LookupAutoscaler, explainAutoscaler),
	explainer(lookupControl, explainControl),
	explainer(faults.Lookup, explainFault),
	explainer(strategies.LookupEngine, explainEngine),
	explainer(strategies.LookupPolicy, explainPolicy),
	explainer(scenarios.LookupKey, explainKey),
}

// controlKinds are the control-plane plug points, in list order.
var controlKinds = []strategies.ControlKind{strategies.ReconcilerKind, strategies.ElectionKind, strategies.RolloutKind}

// control is a control-plane strategy and its plug point.
type control struct {
	kind strategies.ControlKind
	def  *strategies.ControlDef
}

func lookupControl(name string) (control, bool) {
	for _, k := range controlKinds {
		if d, ok := strategies.LookupControl(k, name); ok {
			return control{k, d}, true
		}
	}
	return control{}, false
}

func explainControl(w io.Writer, c control) {
	d := c.def
	fmt.Fprintf(w, "%s %s\n  %s\n  source:\t%s\n", c.kind, d.Name, d.Description, d.Source)
	explainParams(w, d.Params)
	fmt.Fprintf(w, "\nexample:\n  strategies:\n    - name: %s\n      %s: ", d.Name, c.kind)
	if len(d.Params) > 0 {
		fmt.Fprintf(w, "{kind: %s, params: {%s}}\n", d.Name, paramsSnippet(d.Params))
	} else {
		fmt.Fprintf(w, "%s\n", d.Name)
	}
}

// explainAutoscaler explains an autoscaler; its example scales a service
// api that has a pool (max_replicas).
func explainAutoscaler(w io.Writer, d *strategies.AutoscalerDef) {
	fmt.Fprintf(w, "autoscaler %s\n  %s\n  source:\t%s\n", d.Name, d.Description, d.Source)
	explainParams(w, d.Params)
	fmt.Fprintf(w, "\nexample:\n  topology:\n    services:\n      - {name: api, replicas: 2, max_replicas: 10, service_time: 50ms}\n  strategies:\n    - name: %s\n      autoscaling: [{service: api, autoscaler: %s}]\n", d.Name, d.Name)
}

func explainEngine(w io.Writer, d *strategies.EngineDef) {
	fmt.Fprintf(w, "decision engine %s\n  %s\n  source:\t%s\n", d.Name, d.Description, d.Source)
	explainParams(w, d.Params)
	fmt.Fprintf(w, "\nexample:\n  strategies:\n    - name: %s\n      controller:\n        pattern: central   # or %s\n        engine: {kind: %s}\n",
		d.Name, strings.Join(append(routectl.PatternNames()[1:], "leader"), ", "), d.Name)
}

func explainPolicy(w io.Writer, d *strategies.PolicyDef) {
	fmt.Fprintf(w, "policy %s\n  %s\n  default precedence:\t%d (higher wins when rules conflict)\n  source:\t%s\n", d.Name, d.Description, d.Precedence, d.Source)
	explainParams(w, d.Params)
	fmt.Fprintf(w, "\nexample:\n  strategies:\n    - name: guarded\n      controller:\n        engine: scoring\n        policies:\n          - {kind: %s", d.Name)
	if len(d.Params) > 0 {
		fmt.Fprintf(w, ", params: {%s}", paramsSnippet(d.Params))
	}
	fmt.Fprintln(w, "}")
}

func explainer[T any](lookup func(string) (T, bool), explain func(io.Writer, T)) func(io.Writer, string, bool) bool {
	return func(w io.Writer, name string, sep bool) bool {
		d, ok := lookup(name)
		if ok {
			if sep {
				fmt.Fprintln(w)
			}
			explain(w, d)
		}
		return ok
	}
}

// explainable lists every name explain knows, for suggestions.
func explainable() []string {
	var n []string
	for _, d := range metrics.Catalog() {
		n = append(n, d.Name)
	}
	n = append(n, strategies.RoutingNames()...)
	n = append(n, strategies.GuardNames()...)
	n = append(n, strategies.AutoscalerNames()...)
	n = append(n, faults.Names()...)
	n = append(n, strategies.EngineNames()...)
	n = append(n, strategies.PolicyNames()...)
	for _, k := range controlKinds {
		n = append(n, strategies.ControlNames(k)...)
	}
	for _, k := range scenarios.Keys() {
		n = append(n, k.Path)
	}
	return n
}

func explainMetric(w io.Writer, d metrics.Def) {
	fmt.Fprintf(w, "metric %s\n  %s\n", d.Name, d.Description)
	fmt.Fprintf(w, "  unit:\t%s\n  better:\t%s\n", d.Unit, d.Better)
	if d.Source != "" {
		fmt.Fprintf(w, "  source:\t%s\n", d.Source)
	}
	base, _, _ := strings.Cut(d.Name, ":")
	if slices.Contains(metrics.SLOMetrics, base) {
		fmt.Fprintf(w, "  reported per SLO as %s:NAME\n", base)
	}
	if slices.Contains(metrics.PhaseMetrics, base) {
		fmt.Fprintf(w, "  also per fault phase as %s:before, %s:during, %s:after\n", base, base, base)
	}
	if slices.Contains(metrics.ImpactMetrics, base) {
		fmt.Fprintf(w, "  reported per fault phase only, as %s:during and %s:after\n", base, base)
	}
	if slices.Contains(metrics.TenantMetrics, base) {
		fmt.Fprintf(w, "  reported per client as %s:CLIENT\n", base)
	}
	if slices.Contains(metrics.ServiceMetrics, base) {
		fmt.Fprintf(w, "  reported per service as %s:SERVICE, in scenarios whose services call each other\n", base)
	}
	if slices.Contains(metrics.CallMetrics, base) {
		fmt.Fprintf(w, "  reported per call edge as %s:FROM->TO, in scenarios whose services call each other\n", base)
	}
	if slices.Contains(metrics.EdgeMetrics, base) {
		fmt.Fprintf(w, "  reported per declared edge as %s:EDGE, in scenarios with topology.edges\n", base)
	}
	if slices.Contains(metrics.ReplicaMetrics, base) {
		fmt.Fprintf(w, "  reported per autoscaled service as %s:SERVICE, for services with max_replicas\n", base)
	}
	if slices.Contains(metrics.OperationMetrics, base) {
		fmt.Fprintf(w, "  reported per operation as %s:SERVICE/OPERATION, for services with operations\n", base)
	}
	op, bound := "max", exampleBound(d)
	if d.Better == metrics.Higher {
		op = "min"
	}
	// The example is a check that validates and reads a value as written
	// (TestExplainedChecksValidate): qualified where the metric is only
	// reported qualified.
	name := d.Name
	if !strings.Contains(name, ":") {
		switch {
		case slices.Contains(metrics.SLOMetrics, base):
			name += ":availability"
		case slices.Contains(metrics.ImpactMetrics, base):
			name += ":during"
		case slices.Contains(metrics.TenantMetrics, base):
			name += ":users"
		case slices.Contains(metrics.ServiceMetrics, base):
			name += ":db"
		case slices.Contains(metrics.CallMetrics, base):
			name += ":api->db"
		case slices.Contains(metrics.EdgeMetrics, base):
			name += ":gw"
		case slices.Contains(metrics.ReplicaMetrics, base):
			name += ":db"
		case slices.Contains(metrics.OperationMetrics, base):
			name += ":api/checkout"
		}
	}
	if strings.Contains(name, ":") {
		name = "'" + name + "'"
	}
	fmt.Fprintf(w, "\nexample check:\n  checks:\n    - {metric: %s, %s: %s}\n", name, op, bound)
	fmt.Fprintf(w, "\nread it from JSON:\n  tangle run FILE --json | jq '.strategies[0].metrics[\"%s\"].mean'\n", strings.Trim(name, "'"))
}

func exampleBound(d metrics.Def) string {
	switch d.Unit {
	case "s":
		return "500ms"
	case "ratio":
		if d.Name == "route_success_delta" {
			return "-1%"
		}
		if d.Better == metrics.Higher {
			return "99%"
		}
		return "1%"
	}
	return "100"
}

func explainRouting(w io.Writer, d *strategies.RoutingDef) {
	fmt.Fprintf(w, "routing %s\n  %s\n  source:\t%s\n", d.Name, d.Description, d.Source)
	explainParams(w, d.Params)
	// Hash routings: how many keys move when a host leaves (measured now,
	// over 16 random host sets; the ideal is 1/N).
	var moved []string
	for _, n := range []int{10, 100} {
		f, err := strategies.HashMovement(d.Name, nil, n, 1, 20000)
		if err != nil {
			break
		}
		moved = append(moved, fmt.Sprintf("%d hosts: %.1f%% of keys (ideal %.1f%%)", n, 100*f, 100/float64(n)))
	}
	if len(moved) > 0 {
		fmt.Fprintf(w, "  membership change:\twhen one host leaves, %s\n", strings.Join(moved, "; "))
	}
	fmt.Fprintf(w, "\nexample:\n  strategies:\n    - name: %s\n      routing: %s\n", d.Name, d.Name)
	if len(d.Params) > 0 {
		fmt.Fprintf(w, "      params: {%s}\n", paramsSnippet(d.Params))
	}
}

func explainGuard(w io.Writer, d *strategies.GuardDef) {
	fmt.Fprintf(w, "guard %s\n  %s\n  source:\t%s\n", d.Name, d.Description, d.Source)
	explainParams(w, d.Params)
	fmt.Fprintf(w, "\nexample:\n  strategies:\n    - name: guarded\n      routing: round-robin\n      guards:\n        - guard: %s\n", d.Name)
	if len(d.Params) > 0 {
		fmt.Fprintf(w, "          params: {%s}\n", paramsSnippet(d.Params))
	}
}

func explainFault(w io.Writer, d *faults.Def) {
	fmt.Fprintf(w, "fault %s\n  %s\n  targets:\t%s\n  source:\t%s\n", d.Name, d.Description, d.Targets, d.Source)
	explainParams(w, d.Params)
	target := "{service: api, mode: one}"
	if d.Targets == faults.Places {
		target = "{zone: east/a}"
	}
	fmt.Fprintf(w, "\nexample:\n  faults:\n    - {kind: %s, at: 2m, duration: 1m, target: %s", d.Name, target)
	if len(d.Params) > 0 {
		fmt.Fprintf(w, ", params: {%s}", paramsSnippet(d.Params))
	}
	fmt.Fprintln(w, "}")
}

func explainParams(w io.Writer, ps sim.ParamSet) {
	if len(ps) == 0 {
		fmt.Fprintln(w, "  parameters:\tnone")
		return
	}
	fmt.Fprintln(w, "  parameters:")
	listParams(w, ps)
}

func paramsSnippet(ps sim.ParamSet) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Name+": "+p.DefaultString())
	}
	return strings.Join(parts, ", ")
}

func explainKey(w io.Writer, k scenarios.Key) {
	fmt.Fprintf(w, "scenario key %s\n  %s\n  type:\t%s\n", k.Path, k.Doc, k.Type)
	if k.Required {
		fmt.Fprintln(w, "  required")
	} else if k.Default != "" {
		fmt.Fprintf(w, "  default:\t%s\n", k.Default)
	}
	fmt.Fprintf(w, "\noverride it:\n  tangle run FILE --set %s\n", k.Example())
}

var newCmd = &command{
	name:    "new",
	summary: "Write a commented starter scenario that validates and runs.",
	usage:   "[--name NAME] [FILE]",
	examples: `  tangle new > my.yaml              # on stdout
  tangle new --name checkout my.yaml   # into a file (never overwrites)
  tangle validate my.yaml && tangle run my.yaml`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		name := fs.String("name", "my-scenario", "the scenario's name")
		return func(args []string) error {
			if len(args) > 1 {
				return usagef("tangle new: expected at most one file name, got %d", len(args))
			}
			if strings.ContainsAny(*name, " \t\n:") || *name == "" {
				return usagef("tangle new: --name must be a short identifier without spaces or colons, got %q", *name)
			}
			src := scenarios.Starter(*name)
			if len(args) == 0 {
				_, err := a.stdout.Write(src)
				return err
			}
			f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				if os.IsExist(err) {
					return usagef("tangle new: %s already exists; choose another name", args[0])
				}
				return usageError{err}
			}
			if _, err := f.Write(src); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s; run it with: tangle run %s\n", args[0], shellQuote(args[0]))
			return nil
		}
	},
}

var schemaCmd = &command{
	name:    "schema",
	summary: "Print the JSON Schema of scenario files, for editors to validate and complete them.",
	usage:   "",
	examples: `  tangle schema > tangle.schema.json
  # VS Code (redhat.vscode-yaml), first line of a scenario file:
  # yaml-language-server: $schema=./tangle.schema.json`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			if len(args) > 0 {
				return usagef("tangle schema: takes no arguments")
			}
			b, err := scenarios.JSONSchema()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(b)
			return err
		}
	},
}
