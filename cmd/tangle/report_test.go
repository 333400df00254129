package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/reports"
)

// TestRunHTMLAndReportShareOnePath: `run --html` writes the report beside
// the other outputs, and `report results.json` renders the same bytes from
// the written document.
func TestRunHTMLAndReportShareOnePath(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "run.html")
	code, out, stderr := tangle(t, "run", "mmc", "--replications", "2", "--out", dir, "--html", html)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "HTML report written to "+html) || !strings.Contains(out, "results written to") {
		t.Errorf("stdout does not say where the outputs are:\n%s", out)
	}
	for _, f := range []string{"results.json", "summary.json", "manifest.json", "series/round-robin/replication-1.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run --html did not write %s: %v", f, err)
		}
	}
	first, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(first, []byte("<h1>mmc</h1>")) || !bytes.Contains(first, []byte(`id="series"`)) {
		t.Error("the run's report lacks its title or time series")
	}
	if reports.EChartsEmbedded() == strings.Contains(stderr, "warning") {
		t.Errorf("ECharts embedded = %v, stderr %q", reports.EChartsEmbedded(), stderr)
	}

	again := filepath.Join(dir, "again.html")
	code, out, stderr = tangle(t, "report", filepath.Join(dir, "results.json"), "-o", again)
	if code != 0 || !strings.Contains(out, "HTML report written to "+again) {
		t.Fatalf("report: exit %d, %s %s", code, out, stderr)
	}
	second, _ := os.ReadFile(again)
	if !bytes.Equal(first, second) {
		t.Error("tangle report renders different bytes from the document tangle run --html rendered")
	}

	code, _, stderr = tangle(t, "report", filepath.Join(dir, "results.json"), "--replication", "2")
	if code != 2 || !strings.Contains(stderr, "has replications 0 to 1") {
		t.Errorf("--replication out of range: exit %d, %q", code, stderr)
	}

	// a summary document: rendered, and the command says what is missing
	code, _, stderr = tangle(t, "report", filepath.Join(dir, "summary.json"))
	if code != 0 || !strings.Contains(stderr, "has no per-run data") {
		t.Errorf("report summary.json: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.html")); err != nil {
		t.Errorf("default output beside the input: %v", err)
	}
}

func TestReportSweepDocument(t *testing.T) {
	dir := t.TempDir()
	doc := &reports.SweepDoc{
		SchemaVersion: reports.SchemaVersion, Kind: "sweep", Scenario: reports.ScenarioInfo{Name: "grid"},
		Params: []string{"a", "b"}, Objective: "minimize latency_p99", Replications: 2,
	}
	for i, v := range []string{"1", "2", "3", "4"} {
		doc.Cells = append(doc.Cells, reports.SweepCell{
			Index: i, Values: map[string]string{"a": v, "b": "x" + v[:0]}, Feasible: true, Rank: i + 1,
			Metrics: map[string]reports.MetricStat{"latency_p99": {Unit: "s", Mean: reports.Float(0.1 * float64(i+1)), N: 2}},
		})
	}
	var buf bytes.Buffer
	reports.WriteJSON(&buf, doc)
	in := filepath.Join(dir, "sweep.json")
	os.WriteFile(in, buf.Bytes(), 0o644)
	code, out, stderr := tangle(t, "report", in, "--heatmap", "b,a")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "sweep.html"))
	if !strings.Contains(out, "sweep.html") || !bytes.Contains(html, []byte(`id="ranking"`)) {
		t.Errorf("sweep report not written: %s", out)
	}
	code, _, stderr = tangle(t, "report", in, "--heatmap", "c")
	if code != 2 || !strings.Contains(stderr, `heatmap parameter "c" is not swept`) {
		t.Errorf("unknown heatmap parameter: exit %d, %s", code, stderr)
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	yaml := filepath.Join(dir, "x.yaml")
	os.WriteFile(yaml, []byte("name: x\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "expected one results document"},
		{[]string{"report", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"report", yaml}, "not a tangle results document"},
		{[]string{"report", yaml, "--max-points", "2"}, "--max-points must be at least 10"},
		{[]string{"report", yaml, "--heatmap", "a,b,c"}, "--heatmap takes two parameters"},
	} {
		code, _, stderr := tangle(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
