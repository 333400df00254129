package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tangle runs one command line in-process and returns its exit code and
// output streams.
func tangle(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	code := a.main(args)
	return code, out.String(), errb.String()
}

func TestRunMM1JSONReportsTheoreticalSojourn(t *testing.T) {
	code, out, stderr := tangle(t, "run", "mm1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Tool          struct{ Version string }
		Scenario      struct{ Name, SHA256 string }
		Seed          uint64
		Strategies    []struct {
			Metrics map[string]struct {
				Unit string
				Mean float64
			}
		}
		Rerun string
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || doc.Tool.Version == "" || doc.Scenario.SHA256 == "" || doc.Seed != 1 || !strings.HasPrefix(doc.Rerun, "tangle run mm1") {
		t.Errorf("manifest fields missing: %+v", doc)
	}
	m := doc.Strategies[0].Metrics
	if got := m["sojourn_mean"].Mean; math.Abs(got-10)/10 > 0.03 || m["sojourn_mean"].Unit != "s" {
		t.Errorf("mean sojourn %g %s, want 10 s ± 3%%", got, m["sojourn_mean"].Unit)
	}
	for _, name := range []string{"latency_mean", "latency_p99", "throughput", "route_success_rate"} {
		if _, ok := m[name]; !ok {
			t.Errorf("metric %s missing from JSON", name)
		}
	}
}

func TestMalformedScenarioExitsTwoWithPosition(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yaml")
	os.WriteFile(f, []byte("name: bad\nduration: 10m\ntopology:\n  services:\n    - {name: api, replicas: -2, service_time: 1s}\n  clients:\n    - {name: c, target: api, rate: fast}\n"), 0o644)
	for _, cmd := range [][]string{{"run", f}, {"validate", f}} {
		code, _, stderr := tangle(t, cmd...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", cmd, code)
		}
		if !strings.Contains(stderr, f+":7:36: topology.clients[0].rate: expected a rate such as 90/s") {
			t.Errorf("%v: stderr lacks the positioned rate error:\n%s", cmd, stderr)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yaml")
	os.WriteFile(f, []byte("name: bad\nduration: 10m\ntopology:\n  services:\n    - {name: api, replicas: 0, concurrency: 0, service_time: 1s}\n  clients:\n    - {name: c, target: apx, rate: 1/s}\n"), 0o644)
	code, _, stderr := tangle(t, "validate", f, "mm1")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{":5:29: topology.services[0].replicas: must be at least 1", ":5:45: topology.services[0].concurrency", ":7:25: topology.clients[0].target: unknown service \"apx\"", "bad.yaml: 3 problems"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, out, _ := tangle(t, "validate", "mm1", "mmc")
	if code != 0 || !strings.Contains(out, "mm1: ok") {
		t.Errorf("validate of built-ins: exit %d, %s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rn"}, `unknown command "rn" (did you mean run?)`},
		{[]string{"run", "--sead", "3"}, "unknown flag: --sead"},
		{[]string{"run", "mm2"}, "did you mean mm1?"},
		{[]string{"run", "a", "b"}, "expected one scenario file"},
		{[]string{"run", "--replications", "0"}, "--replications must be at least 1"},
		{[]string{"list", "metric"}, "did you mean metrics?"},
	} {
		code, _, stderr := tangle(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, c := range commands {
		code, out, _ := tangle(t, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", c.name, code, out)
		}
		if c.name != "version" && !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help has no examples", c.name)
		}
	}
	if code, out, _ := tangle(t); code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("bare tangle: exit %d\n%s", code, out)
	}
}

func TestListings(t *testing.T) {
	for what, want := range map[string]string{
		"scenarios":  "stale-herd (default)",
		"strategies": "routing: round-robin",
		"faults":     "fault: crash",
		"metrics":    "latency_p99",
	} {
		code, out, _ := tangle(t, "list", what)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list %s: exit %d, missing %q:\n%s", what, code, want, out)
		}
	}
}

func TestRunOutWritesFiles(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := tangle(t, "run", "mmc", "--replications", "2", "--seed", "9", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "rerun: tangle run mmc --seed 9 --replications 2") {
		t.Errorf("table output lacks the rerun command:\n%s", out)
	}
	for _, f := range []string{"results.json", "summary.json", "manifest.json", "series/round-robin/replication-0.csv", "series/round-robin/replication-1.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "series/round-robin/replication-0.csv"))
	if !strings.HasPrefix(string(csv), "time_s,request_rate,throughput,route_success_rate,latency_p50,latency_p99,in_flight,routing_churn,load_imbalance,ejected_fraction,share:server-0\n") {
		t.Errorf("CSV header: %q", strings.SplitN(string(csv), "\n", 2)[0])
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
