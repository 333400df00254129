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
	failed := 0
	for _, c := range doc.Checks {
		mark := "✓"
		if !c.Passed {
			mark = "✗"
			failed++
		}
		fmt.Fprintf(w, "  %s %s [%s] %s: %s %s %s", mark, c.Name, c.Kind, c.Strategy, formatNum(float64(c.Value), 4), c.Op, formatNum(float64(c.Threshold), 4))
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
	if failed > 0 {
		_, err := fmt.Fprintf(w, "verdict: FAIL (%d of %d checks failed)\n", failed, len(doc.Checks))
		return err
	}
	_, err := fmt.Fprintf(w, "verdict: PASS (%d checks held)\n", len(doc.Checks))
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
