package main

import (
	"errors"
	"fmt"
	"io"
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

var validateCmd = &command{
	name:    "validate",
	summary: "Check scenario files and report every problem, with file:line:col positions.",
	usage:   "FILE...",
	examples: `  tangle validate my-scenario.yaml
  tangle validate scenarios/*.yaml    # exit code 2 if any file is invalid
  tangle validate my.yaml --set topology.services[api].replicas=8`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		var setArgs []string
		fs.StringArrayVar(&setArgs, "set", nil, "override a scenario value before validating: path=value (repeatable)")
		return func(args []string) error {
			if len(args) == 0 {
				return usagef("tangle validate: name at least one scenario file (or built-in)")
			}
			var sets []scenarios.Override
			for _, s := range setArgs {
				o, err := scenarios.ParseOverride(s)
				if err != nil {
					return usagef("tangle validate: --set %s: %v", s, err)
				}
				sets = append(sets, o)
			}
			var bad []string
			for _, arg := range args {
				sc, err := scenarios.Open(arg, sets...)
				if err != nil {
					var list scenarios.ErrorList
					if errors.As(err, &list) {
						for _, e := range list {
							fmt.Fprintln(a.stderr, e)
						}
						bad = append(bad, fmt.Sprintf("%s: %d problem%s", arg, len(list), plural(len(list))))
					} else {
						fmt.Fprintln(a.stderr, err)
						bad = append(bad, arg+": unreadable")
					}
					continue
				}
				a.printWarnings(sc)
				fmt.Fprintf(a.stdout, "%s: ok (%s: %d service%s, %d client%s, %d strateg%s)\n", arg, sc.Name,
					len(sc.Topology.Services), plural(len(sc.Topology.Services)),
					len(sc.Topology.Clients), plural(len(sc.Topology.Clients)),
					len(sc.Strategies), pluralY(len(sc.Strategies)))
			}
			if len(bad) > 0 {
				return usagef("%s", strings.Join(bad, "\n"))
			}
			return nil
		}
	},
}

var listCmd = &command{
	name:    "list",
	summary: "List built-in scenarios, routing strategies, fault kinds or metrics.",
	usage:   "scenarios|strategies|faults|metrics",
	examples: `  tangle list scenarios
  tangle list strategies   # routings, guards, autoscalers, control-plane strategies, decision engines and policies with their parameters
  tangle list faults       # every fault kind with its targets and parameters
  tangle list metrics      # canonical metric names, units and directions`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			what := []string{"scenarios", "strategies", "faults", "metrics"}
			if len(args) != 1 {
				return usagef("tangle list: expected one of %s", strings.Join(what, ", "))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			defer tw.Flush()
			switch args[0] {
			case "scenarios":
				for _, b := range scenarios.Builtins() {
					def := ""
					if b.Name == scenarios.DefaultBuiltin {
						def = " (default)"
					}
					fmt.Fprintf(tw, "%s%s\t%s\n", b.Name, def, b.Description)
				}
			case "strategies":
				for i, d := range strategies.Routings() {
					listDef(tw, i > 0, "routing: "+d.Name, d.Description, d.Source, d.Params)
				}
				for _, d := range strategies.Guards() {
					listDef(tw, true, "guard: "+d.Name, d.Description, d.Source, d.Params)
				}
				for _, d := range strategies.Autoscalers() { // strategies[].autoscaling[].autoscaler
					listDef(tw, true, "autoscaler: "+d.Name, d.Description, d.Source, d.Params)
				}
				fmt.Fprintln(tw)
				fmt.Fprintf(tw, "retries:\tthe callers' retry policy, after Envoy's route retry policy and retry budgets\n")
				listParams(tw, strategies.RetryParams)
				fmt.Fprintln(tw)
				fmt.Fprintf(tw, "hedging:\thedged requests: Envoy's hedge_on_per_try_timeout (with retries:) or gRPC's hedgingPolicy and retryThrottling\n")
				listParams(tw, strategies.HedgeParams)
				fmt.Fprintln(tw)
				fmt.Fprintf(tw, "data:\thow the serving replicas use a state.datastore: consistency levels, quorums, repair, caching\n")
				listParams(tw, strategies.DataParams)
				// Control-plane strategies (reconciler:, election:, rollout: on a strategy).
				for _, k := range controlKinds {
					for _, d := range strategies.Controls(k) {
						listDef(tw, true, fmt.Sprintf("%s: %s", k, d.Name), d.Description, d.Source, d.Params)
					}
				}
				// Routing control plane (controller: on a strategy).
				for _, d := range strategies.Engines() {
					listDef(tw, true, "engine: "+d.Name, d.Description, d.Source, d.Params)
				}
				for _, d := range strategies.Policies() {
					listDef(tw, true, "policy: "+d.Name, fmt.Sprintf("%s (precedence %d)", d.Description, d.Precedence), d.Source, d.Params)
				}
				fmt.Fprintln(tw)
				fmt.Fprintf(tw, "patterns:\t%s (see tangle explain strategies[].controller.pattern)\n", strings.Join(append(routectl.PatternNames(), "leader"), ", "))
			case "faults":
				for i, d := range faults.Defs() {
					if i > 0 {
						fmt.Fprintln(tw)
					}
					fmt.Fprintf(tw, "fault: %s\t%s\n", d.Name, d.Description)
					fmt.Fprintf(tw, "  targets:\t%s\n", d.Targets)
					fmt.Fprintf(tw, "  source:\t%s\n", d.Source)
					listParams(tw, d.Params)
				}
			case "metrics":
				fmt.Fprintf(tw, "NAME\tUNIT\tBETTER\tDEFINITION\n")
				for _, d := range metrics.Catalog() {
					src := ""
					if d.Source != "" {
						src = " [" + d.Source + "]"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\n", d.Name, d.Unit, d.Better, d.Description, src)
				}
			default:
				hint := ""
				if s := scenarios.Suggest(args[0], what); s != "" {
					hint = " (" + s + ")"
				}
				return usagef("tangle list: unknown list %q%s; expected one of %s", args[0], hint, strings.Join(what, ", "))
			}
			return nil
		}
	},
}

// listDef writes one strategy of tangle list: its heading, source and
// parameters, after a blank line when sep.
func listDef(w io.Writer, sep bool, heading, desc, source string, ps sim.ParamSet) {
	if sep {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\t%s\n  source:\t%s\n", heading, desc, source)
	listParams(w, ps)
}

// listParams prints parameter declarations: name, unit, default, meaning
// and, where it differs from the component's, the parameter's source.
func listParams(w io.Writer, ps sim.ParamSet) {
	for _, p := range ps {
		unit := p.Unit
		if unit == "" {
			unit = p.Kind.String()
		}
		if p.Kind == sim.Enum {
			unit = strings.Join(p.Choices, "|")
		}
		src := ""
		if p.Source != "" {
			src = " [" + p.Source + "]"
		}
		fmt.Fprintf(w, "  %s\t%s, default %s\t%s%s\n", p.Name, unit, p.DefaultString(), p.Description, src)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pluralY(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}
