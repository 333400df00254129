package reports

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// AlertRunDoc is one replication's firings of a burn-rate alert.
type AlertRunDoc struct {
	Replication int     `json:"replication"`
	FiredS      []Float `json:"fired_s"`
	DetectionS  Float   `json:"detection_s"`
}

// checkDocs evaluates res's checks and SLOs and returns their documents
// and the overall verdict.
func checkDocs(res *scenarios.Result) ([]CheckDoc, string) {
	results := res.Checks()
	docs := []CheckDoc{}
	for _, r := range results {
		d := CheckDoc{
			Name: r.Name, Kind: r.Kind, Strategy: r.Strategy, Phase: r.Phase, Metric: r.Metric,
			Op: r.Op, Threshold: Float(r.Threshold), Value: Float(r.Value), Passed: r.Passed, Detail: r.Detail,
		}
		if r.ExpectFail {
			d.Expected = "fail"
		}
		for _, a := range r.Alerts {
			ad := AlertDoc{
				Severity: a.Severity, LongWindowS: Float(a.Long.Seconds()), ShortWindowS: Float(a.Short.Seconds()),
				BurnRate: Float(a.Rate), FiredS: []Float{}, Runs: []AlertRunDoc{},
			}
			var det []float64
			for rep, run := range a.Runs {
				rd := AlertRunDoc{Replication: rep, FiredS: []Float{}, DetectionS: Float(run.Detection)}
				for _, f := range run.Fired {
					rd.FiredS = append(rd.FiredS, Float(f.Seconds()))
				}
				if rep == 0 {
					ad.FiredS = rd.FiredS
				}
				if len(run.Fired) > 0 {
					ad.FiredRuns++
				}
				if !math.IsNaN(run.Detection) {
					det = append(det, run.Detection)
				}
				ad.Runs = append(ad.Runs, rd)
			}
			ad.DetectionS = Float(math.NaN())
			if len(det) > 0 {
				ad.DetectionS = Float(metrics.Aggregate(det).Mean)
			}
			d.Alerts = append(d.Alerts, ad)
		}
		docs = append(docs, d)
	}
	return docs, scenarios.Verdict(results)
}

// WriteVerdict writes the checks' verdicts, one line each (✓ held, ✗
// failed), then the overall verdict. It writes nothing when there are no
// checks.
func WriteVerdict(w io.Writer, doc *Summary) error {
	if len(doc.Checks) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nchecks:")
	failed, expected := 0, 0
	for _, c := range doc.Checks {
		mark, strategy := "✓", c.Strategy
		if c.Expected == "fail" {
			strategy += " (expected to fail)"
		}
		switch {
		case !c.Passed && c.Expected == "fail":
			mark = "✗"
			expected++
		case !c.Passed:
			mark = "✗"
			failed++
		}
		fmt.Fprintf(w, "  %s %s [%s] %s: %s %s %s", mark, c.Name, c.Kind, strategy, formatNum(float64(c.Value), 4), c.Op, formatNum(float64(c.Threshold), 4))
		if c.Detail != "" {
			fmt.Fprintf(w, " (%s)", c.Detail)
		}
		fmt.Fprintln(w)
		for _, a := range c.Alerts {
			if a.FiredRuns == 0 {
				continue
			}
			fmt.Fprintf(w, "      %s alert %s/%s at burn rate %g fired in %d of %d replication%s; detected after %s\n",
				a.Severity, secs(float64(a.LongWindowS)), secs(float64(a.ShortWindowS)), float64(a.BurnRate),
				a.FiredRuns, len(a.Runs), plural(len(a.Runs)), detection(float64(a.DetectionS)))
		}
	}
	held := len(doc.Checks) - failed - expected
	note := ""
	if expected > 0 {
		note = fmt.Sprintf("; %d expected failure%s of strategies declared expect: fail", expected, plural(expected))
	}
	var unexpected []string
	for _, s := range contrastsHeld(doc.Checks) {
		unexpected = append(unexpected, s)
	}
	switch {
	case failed > 0:
		_, err := fmt.Fprintf(w, "verdict: FAIL (%d of %d checks failed%s)\n", failed, len(doc.Checks), note)
		return err
	case len(unexpected) > 0:
		_, err := fmt.Fprintf(w, "verdict: FAIL (%s declared expect: fail but held every check: the scenario's stated result no longer stands)\n", strings.Join(unexpected, ", "))
		return err
	}
	_, err := fmt.Fprintf(w, "verdict: PASS (%d check%s held%s)\n", held, plural(held), note)
	return err
}

// contrastsHeld are the strategies declared expect: fail whose checks all
// held.
func contrastsHeld(checks []CheckDoc) []string {
	return scenarios.HeldContrasts(checks, func(c CheckDoc) (string, bool, bool) { return c.Strategy, c.Expected == "fail", c.Passed })
}

// WriteGate writes the verdict of tangle run --gate: the named strategies'
// checks alone, whatever the scenario expects of them.
func WriteGate(w io.Writer, doc *Summary, gate []string, verdict string) error {
	_, err := fmt.Fprintf(w, "gate %s: %s\n", strings.Join(gate, ", "), strings.ToUpper(verdict))
	return err
}

func detection(s float64) string {
	if math.IsNaN(s) {
		return "— (it fired before the reference and had cleared)"
	}
	return strings.TrimSuffix(formatNum(s, 4), ".0") + " s (mean)"
}

// secs renders a window length in seconds as 5m, 1h, 3d.
func secs(s float64) string {
	switch {
	case s >= 86400 && math.Mod(s, 86400) == 0:
		return fmt.Sprintf("%gd", s/86400)
	case s >= 3600 && math.Mod(s, 3600) == 0:
		return fmt.Sprintf("%gh", s/3600)
	case s >= 60 && math.Mod(s, 60) == 0:
		return fmt.Sprintf("%gm", s/60)
	}
	return fmt.Sprintf("%gs", s)
}
