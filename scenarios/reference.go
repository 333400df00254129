package scenarios

import (
	"fmt"
	"io"
	"strings"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
)

// WriteReference writes the scenario format reference (Markdown): every
// key with its type, default and meaning from the scenario types' tags,
// the value syntaxes, every routing strategy and fault kind with its
// parameters, and the metric catalogue. docs/scenario-format.md is this
// output; a test fails when they differ (regenerate with
// `go test ./scenarios -run Reference -update`).
func WriteReference(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Scenario format reference\n\n")
	p("<!-- Generated from the scenario types, the strategy and fault registries and the metric\n")
	p("     catalogue by `go test ./scenarios -run Reference -update`. Do not edit by hand. -->\n\n")
	p("Format version %d. A scenario is one YAML file; `tangle validate FILE` checks it and reports every\n", FormatVersion)
	p("problem at its `file:line:col`, `tangle explain KEY` explains one key, `tangle schema` prints a JSON\n")
	p("Schema for editors, and `tangle new` writes a commented starter. Unknown keys are errors (with a\n")
	p("suggestion), so a typo never silently falls back to a default.\n\n")

	p("## Value syntax\n\n")
	p("| type | written | notes |\n|---|---|---|\n")
	p("| duration | `250ms`, `10s`, `1m30s`, `3d`, `1d12h`, `0` | Go syntax plus `d` for days; a unit is required (except for 0) |\n")
	p("| rate | `90/s`, `5400/min`, `2/h` | requests per unit of time |\n")
	p("| ratio | `0.05` or `5%%` | a fraction in [0, 1] |\n")
	p("| queue capacity | `unbounded` or a number | waiting requests per replica |\n")
	p("| distribution | a duration (constant) or `{dist: FAMILY, …}` | families below; durations in seconds internally |\n")
	p("| value in the metric's unit | `5s` for metrics in seconds, `99.9%%` or `0.999` for ratios, a number otherwise | in checks |\n\n")
	p("Distribution families:\n\n| dist | parameters |\n|---|---|\n")
	for _, f := range distFamilies {
		p("| `%s` | %s |\n", f.name, f.help)
	}
	p("\nExample: `service_time: {dist: lognormal, median: 20ms, sigma: 0.5}`.\n\n")

	p("## Keys\n\n")
	p("`[]` marks a list element. Keys without a default are optional unless marked required.\n\n")
	p("| key | type | default | meaning | example |\n|---|---|---|---|---|\n")
	for _, k := range Keys() {
		ex := ""
		if e := k.Example(); !strings.HasSuffix(e, "=…") {
			ex = "`--set " + strings.ReplaceAll(e, "|", "\\|") + "`"
		}
		def := "`" + k.Default + "`"
		switch {
		case k.Required:
			def = "required"
		case k.Default == "":
			def = ""
		}
		p("| `%s` | %s | %s | %s | %s |\n", k.Path, k.Type, def, mdEscape(k.Doc), ex)
	}

	p("\n## Entry points and edges\n\n")
	p("A client enters the call graph at the service it names as `target`, which may be one that other\n")
	p("services also call: `service_request_rate:S`, `service_success_rate:S` and the latencies of S count\n")
	p("its clients' requests and the calls made to it together; `service_amplification:S` is the attempts S\n")
	p("received per client request of every client (all entry points); `call_attempts_per_call:FROM->TO` is\n")
	p("one hop's own amplification.\n\n")
	p("`edge: true` on a client is a capacity-free gateway that only picks a region of the target. A declared\n")
	p("edge (`topology.edges`) is a node with capacity: each instance has `concurrency` requests in progress,\n")
	p("each held until the upstream answers, and a FIFO `queue` beyond them; when both are full it refuses at\n")
	p("once (outcome rejected, cause queue_full: Envoy's overload 503 with x-envoy-overloaded; rate-based 429\n")
	p("shedding is not modelled). It forwards to its clients' target with its own route `timeout` (all\n")
	p("attempts included) and `retries`, separate from the sidecars' (a strategy's `per_service` entry with\n")
	p("`from: EDGE` overrides them); the client-to-edge hop has no retries or guards. Faults reach its\n")
	p("instances (NAME-0, NAME-1, …) with `target: {edge: NAME}` or by name, never through a target that\n")
	p("matches every replica; `slowdown` scales its own `service_time`. It is measured as `edge_*:NAME`, and\n")
	p("its hop as `call_*:NAME->TARGET`.\n")
	p("\n## Overrides (`--set`) and sweep parameters (`--param`)\n\n")
	p("`run`, `compare`, `sweep` and `validate` take `--set PATH=VALUE` (repeatable) for any key above.\n")
	p("PATH is dotted keys with list elements by index or by their `name`: `topology.services[0].replicas`,\n")
	p("`topology.services[api].replicas`, `strategies[p2c].params.choices`. VALUE is YAML: `8`, `2s`,\n")
	p("`'{dist: exponential, mean: 5ms}'`. Overrides are applied to the YAML tree before decoding, so they are\n")
	p("validated exactly like the file, and a problem is reported at the flag (`--set topology.clients[0].rate=fast:\n")
	p("… expected a rate such as 90/s …`). `tangle sweep --param PATH=v1,v2,…` or `PATH=lo..hi/step` takes the\n")
	p("same paths.\n\n")

	p("## Routing strategies (`strategies[].routing`)\n\n")
	for _, d := range strategies.Routings() {
		p("### `%s`\n\n%s\n\nSource: %s\n\n", d.Name, mdEscape(d.Description), mdEscape(d.Source))
		writeParams(w, d.Params)
	}
	p("## Fault kinds (`faults[].kind`)\n\n")
	for _, d := range faults.Defs() {
		p("### `%s`\n\n%s\n\nTargets: %s. Source: %s\n\n", d.Name, mdEscape(d.Description), d.Targets, mdEscape(d.Source))
		writeParams(w, d.Params)
	}
	p("Target modes (`faults[].target.mode`): %s.\n\n", strings.Join(faults.Modes(), ", "))

	p("## Checks and SLOs\n\n")
	p("A **check** (`checks[]`) bounds one metric with `max:` or `min:`, in the metric's unit. It is evaluated\n")
	p("after the run on the **mean across replications**; `on: ci` requires the whole 95%% confidence interval\n")
	p("to satisfy the bound instead (stricter: the upper bound for `max`, the lower for `min`). Without\n")
	p("`strategy:` it applies to every strategy. With `phase: before|during|after` it is a steady-state\n")
	p("hypothesis, as Chaos Toolkit checks before, during and after its method: the metric is computed over\n")
	p("requests generated before the first fault starts, inside any fault window, or after the last one ends\n")
	p("(requests between two windows count in no phase). Phase metrics are %s.\n\n", "`"+strings.Join(metrics.PhaseMetrics, "`, `")+"`")
	p("An **SLO** (`slos[]`) counts each request as good or bad when it ends (after the warmup): for\n")
	p("`sli: route_success_rate` good means it succeeded; for `sli: latency` that it succeeded within\n")
	p("`threshold`. The error budget is 1 − objective over `window` (30d by default). Alerts are the SRE\n")
	p("Workbook's multiwindow, multi-burn-rate alerts (table 5-8), evaluated every `evaluation_interval` of\n")
	p("simulated time; a row fires while the burn rate over both its long and short window is at least its rate\n")
	p("(AND within a row, OR across rows):\n\n")
	p("| severity | long window | short window | burn rate (30d) | budget spent when it fires |\n|---|---|---|---|---|\n")
	for _, a := range metrics.WorkbookAlerts(30 * 24 * sim.Hour) {
		p("| %s | %v | %v | %g | %s |\n", a.Severity, Duration(a.Long), Duration(a.Short), a.Rate, map[string]string{"1h0m0s": "2%", "6h0m0s": "5%", "72h0m0s": "10%"}[a.Long.Duration().String()])
	}
	p("\nFor another window T the rates scale as budget spent × T / long window. A window holds the events of\n")
	p("the run so far when the run is shorter than it. An SLO fails when its SLI over the measurement window\n")
	p("misses the objective or a page-severity alert fired in any replication. Per SLO, the run reports\n")
	p("%s as `NAME:SLO`, and a `burn_rate:SLO` time-series column.\n\n", "`"+strings.Join(metrics.SLOMetrics, "`, `")+"`")
	p("`tangle run` exits with code 1 when a check or SLO failed, 0 when all held, 2 for a bad command line or\n")
	p("scenario, 3 for an internal error.\n\n")

	p("## A complete example\n\nWhat `tangle new --name example` writes; it validates, runs in seconds, and its checks hold.\n\n")
	p("```yaml\n%s```\n\n", Starter("example"))
	p("## Metrics\n\n| name | unit | better | definition |\n|---|---|---|---|\n")
	for _, d := range metrics.Catalog() {
		src := ""
		if d.Source != "" {
			src = " (" + d.Source + ")"
		}
		p("| `%s` | %s | %s | %s%s |\n", d.Name, d.Unit, d.Better, mdEscape(d.Description), mdEscape(src))
	}
	return nil
}

func writeParams(w io.Writer, ps sim.ParamSet) {
	if len(ps) == 0 {
		fmt.Fprintf(w, "No parameters.\n\n")
		return
	}
	fmt.Fprintf(w, "| parameter | type | unit | default | range | meaning |\n|---|---|---|---|---|---|\n")
	for _, p := range ps {
		kind := p.Kind.String()
		if p.Kind == sim.Enum {
			kind = strings.Join(p.Choices, " \\| ")
		}
		rng := ""
		if p.Min != nil || p.Max != nil {
			lo, hi := "", ""
			if p.Min != nil {
				lo = sim.FormatValue(*p.Min)
			}
			if p.Max != nil {
				hi = sim.FormatValue(*p.Max)
			}
			rng = "[" + lo + ", " + hi + "]"
		}
		desc := p.Description
		if p.Source != "" {
			desc += " (" + p.Source + ")"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | `%s` | %s | %s |\n", p.Name, kind, p.Unit, p.DefaultString(), rng, mdEscape(desc))
	}
	fmt.Fprintln(w)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
