package prom_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/reports/prom"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// promtool returns the path of Prometheus's promtool. Without it the test
// skips locally; under CI (CI set, as .ci/run does) it fails, since .ci/run
// installs Debian's prometheus package.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool is missing under CI (.ci/run installs Debian's prometheus package): %v", err)
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	return p
}

// runScraped runs a scenario file with a collector on every run.
func runScraped(t *testing.T, file string, cfg prom.Config) *scenarios.Result {
	t.Helper()
	sc, err := scenarios.Load(file)
	require.NoError(t, err)
	horizon := sc.Duration.T()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Attach: func(_ int, b *scenarios.Built) func() any {
		c := prom.Attach(b.World, cfg, horizon)
		return func() any { return c.Finish(b.Faults.Windows()) }
	}})
	require.NoError(t, err)
	return res
}

const (
	outageFile = "../../docs/examples/alerts/outage.yaml"
	rulesFile  = "../../docs/examples/alerts/slo-rules.yaml"
	// workbookDetection is when the SRE Workbook's 1h/5m page fires after
	// a full outage that follows at least 6h of good traffic, for a 99.9%
	// SLO: the 1h error ratio reaches 14.4 × 0.1% after 0.0144 × 3600 s.
	workbookDetection = 14.4 * 0.001 * 3600
)

// TestWorkedExampleAlertsAgree is docs/alerting.md's worked example: the
// SRE Workbook's multiwindow, multi-burn-rate rules for a 99.9% SLO
// (docs/examples/alerts/slo-rules.yaml), run by the real promtool on the
// series of a simulated full outage, page exactly when tangle's own
// burn-rate tracker does, to within one rule-evaluation interval: not at
// the last evaluation before tangle's detection time, and at the first
// one after it.
func TestWorkedExampleAlertsAgree(t *testing.T) {
	bin := promtool(t)
	const eval = 15 * sim.Second
	res := runScraped(t, outageFile, prom.Config{Scrape: 15 * sim.Second})
	run := res.Strategies[0].Runs[0]
	slo := run.SLOs[0]
	var page *metrics.AlertRecord
	for i, a := range slo.Alerts {
		if a.Severity == "page" && a.Long == sim.Hour {
			page = &slo.Alerts[i]
		}
	}
	require.NotNil(t, page, "the SLO has no 1h/5m page alert")
	// Tangle's own detection, evaluated every second, is the workbook's
	// 51.84 s up to Poisson noise in the hour's request count.
	require.InDelta(t, workbookDetection, page.Detection, 2, "tangle's 1h/5m page detection time")
	detectedAt := slo.Reference + sim.Time(page.Detection*float64(sim.Second))
	after := (detectedAt + eval - 1) / eval * eval // promtool's first evaluation at or after it
	before := after - eval

	rules, err := filepath.Abs(rulesFile)
	require.NoError(t, err)
	test := run.Attached.(*prom.Run).RulesTest("worked example")
	test.RuleFiles = []string{rules}
	test.EvaluationInterval = "15s"
	// The alerts read the recording group's rules: evaluate it first, or
	// promtool's group order varies between runs (and with it, whether the
	// page fires at the first evaluation after detection).
	test.GroupEvalOrder = []string{"api-slo-recording", "api-slo-alerts"}
	test.Tests[0].AlertRuleTests = []prom.AlertRuleTest{
		{EvalTime: promDuration(before), Alertname: "ApiErrorBudgetFastBurn", ExpAlerts: []prom.Alert{}},
		{EvalTime: promDuration(after), Alertname: "ApiErrorBudgetFastBurn", ExpAlerts: []prom.Alert{{
			ExpLabels:      map[string]string{"severity": "page", "destination_service": "api.default.svc.cluster.local"},
			ExpAnnotations: map[string]string{"summary": "The api is burning its 30-day error budget fast."},
		}}},
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "rules-test.yaml")
	var buf bytes.Buffer
	require.NoError(t, prom.WriteRulesTest(&buf, test, "worked example"))
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	out, err := exec.Command(bin, "test", "rules", file).CombinedOutput()
	require.NoError(t, err, "promtool test rules disagrees with tangle (detected %.2fs after the outage; promtool expected quiet at %v and paging at %v):\n%s",
		page.Detection, before.Duration(), after.Duration(), out)
	require.Contains(t, string(out), "SUCCESS")
}

// TestPromtoolReadsTheOutput: promtool lints the text exposition (only
// Istio's own millisecond unit is reported) and builds TSDB blocks from
// the OpenMetrics file, the documented way to load it into Prometheus.
func TestPromtoolReadsTheOutput(t *testing.T) {
	bin := promtool(t)
	res := runScraped(t, "testdata/small.yaml", prom.Config{Scrape: 5 * sim.Second})
	dir := t.TempDir()
	for _, s := range res.Strategies {
		pr := s.Runs[0].Attached.(*prom.Run)

		var text bytes.Buffer
		require.NoError(t, prom.WriteText(&text, pr))
		cmd := exec.Command(bin, "check", "metrics")
		cmd.Stdin = &text
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" && line != `istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"` {
				t.Errorf("promtool check metrics: %s", line)
			}
		}
		if err != nil && exitCode(err) != 3 { // 3: lint problems (the one above); anything else is a parse error
			t.Fatalf("promtool check metrics: %v\n%s", err, out)
		}

		om := filepath.Join(dir, s.Name+".om")
		var buf bytes.Buffer
		require.NoError(t, prom.WriteOpenMetrics(&buf, pr, 1_700_000_000_000))
		require.NoError(t, os.WriteFile(om, buf.Bytes(), 0o644))
		out, err = exec.Command(bin, "tsdb", "create-blocks-from", "openmetrics", om, filepath.Join(dir, s.Name+"-tsdb")).CombinedOutput()
		require.NoError(t, err, "promtool tsdb create-blocks-from openmetrics:\n%s", out)
		blocks, _ := filepath.Glob(filepath.Join(dir, s.Name+"-tsdb", "*", "meta.json"))
		require.NotEmpty(t, blocks, "no TSDB block was written:\n%s", out)
	}
}

func exitCode(err error) int {
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}

// promDuration writes t as a Prometheus duration ("6h0m45s" is not one).
func promDuration(t sim.Time) string {
	s := int64(math.Round(t.Seconds()))
	return fmt.Sprintf("%dh%dm%ds", s/3600, s/60%60, s%60)
}
