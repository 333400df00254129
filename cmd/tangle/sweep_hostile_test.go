package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/reports"
)

// TestSweepOutLocked: a second sweep on a directory another sweep is
// writing is refused instead of mixing its plan and cells in.
func TestSweepOutLocked(t *testing.T) {
	f := sweepFile(t)
	dir := t.TempDir()
	unlock, err := reports.LockDir(dir) // another tangle, mid-sweep
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, stderr := tangle(t, sweepArgs(f, "--out", dir)...)
	if code != exitUsage || !strings.Contains(stderr, "is in use by another tangle process") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestSweepResumeChecksEveryCell: a directory left with one sweep's plan
// and another sweep's cells (what two sweeps on one --out used to leave)
// is refused on resume, and so is a cell whose file name lies about its
// index: cells are checked by their configuration hash, not trusted by
// name.
func TestSweepResumeChecksEveryCell(t *testing.T) {
	f := sweepFile(t)
	first, second := t.TempDir(), t.TempDir()
	otherArgs := func(out string) []string {
		args := sweepArgs(f, "--out", out)
		args[slices.Index(args, "topology.telemetry.interval=1s,5s")] = "topology.telemetry.interval=2s,5s"
		return args
	}
	mustRun(t, sweepArgs(f, "--out", first)...)
	mustRun(t, otherArgs(second)...)
	// The second sweep's plan over the first sweep's cells.
	plan, _ := os.ReadFile(filepath.Join(second, "plan.json"))
	os.WriteFile(filepath.Join(first, "plan.json"), plan, 0o644)
	code, _, stderr := tangle(t, otherArgs(first)...)
	if code != exitUsage || !strings.Contains(stderr, "was computed for another configuration") {
		t.Fatalf("mixed directory: exit %d, stderr %q", code, stderr)
	}
	// A cell renamed to pose as another.
	dir := t.TempDir()
	mustRun(t, sweepArgs(f, "--out", dir)...)
	cells := filepath.Join(dir, "cells")
	os.Rename(filepath.Join(cells, "cell-000004.json"), filepath.Join(cells, "cell-000005.json"))
	code, _, stderr = tangle(t, sweepArgs(f, "--out", dir)...)
	if code != exitUsage || !strings.Contains(stderr, "never trusted by their file names") {
		t.Fatalf("renamed cell: exit %d, stderr %q", code, stderr)
	}
}

// TestSweepMetricsCheckedAndInfeasible: --dry-run refuses an objective or
// constraint on a metric the scenario does not measure, and a sweep in
// which no cell meets the constraints says so and exits 1.
func TestSweepMetricsCheckedAndInfeasible(t *testing.T) {
	f := sweepFile(t)
	code, _, stderr := tangle(t, "sweep", f, "--dry-run", "--param", "topology.telemetry.interval=1s,5s", "--constraint", "cache_hit_rate>=90%")
	if code != exitUsage || !strings.Contains(stderr, "--constraint: sw does not measure cache_hit_rate") {
		t.Errorf("unmeasured constraint: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = tangle(t, "sweep", f, "--dry-run", "--param", "topology.telemetry.interval=1s,5s", "--objective", "minimize:cache_hit_rate")
	if code != exitUsage || !strings.Contains(stderr, "--objective: sw does not measure cache_hit_rate") {
		t.Errorf("unmeasured objective: exit %d, stderr %q", code, stderr)
	}
	code, out, stderr := tangle(t, "sweep", f, "-q", "--param", "topology.telemetry.interval=1s,5s", "--constraint", "latency_p99<=1us")
	if code != exitFailed || !strings.Contains(stderr, "no cell meets latency_p99 <= 1us") || !strings.Contains(out, "sweep of 4 cells") {
		t.Errorf("infeasible sweep: exit %d, stderr %q", code, stderr)
	}
}

// TestSweepDryRunChecksCost: a cell too large to run is refused by the
// dry run already, naming the cell and what to change.
func TestSweepDryRunChecksCost(t *testing.T) {
	f := sweepFile(t)
	code, _, stderr := tangle(t, "sweep", f, "--dry-run", "--param", "topology.clients[users].rate=150/s,1e12/s")
	if code != exitUsage || !strings.Contains(stderr, "cell 2 (1e12/s)") || !strings.Contains(stderr, "lower the clients' rates") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestMergeReplacesItsOutWhole: merging into a directory that holds an
// earlier sweep leaves none of its cells behind.
func TestMergeReplacesItsOutWhole(t *testing.T) {
	f := sweepFile(t)
	base := t.TempDir()
	s0, s1, merged := filepath.Join(base, "s0"), filepath.Join(base, "s1"), filepath.Join(base, "merged")
	mustRun(t, sweepArgs(f, "--out", s0, "--shard", "0/2")...)
	mustRun(t, sweepArgs(f, "--out", s1, "--shard", "1/2")...)
	os.MkdirAll(filepath.Join(merged, "cells"), 0o755)
	os.WriteFile(filepath.Join(merged, "plan.json"), []byte("{}"), 0o644)
	stale := filepath.Join(merged, "cells", "cell-000099.json")
	os.WriteFile(stale, []byte("{}"), 0o644)
	mustRun(t, "merge", s0, s1, "--out", merged)
	if _, err := os.Stat(stale); err == nil {
		t.Error("a cell of the earlier sweep is still in the merged directory")
	}
	if cells, _ := filepath.Glob(filepath.Join(merged, "cells", "*.json")); len(cells) != 12 {
		t.Errorf("merged directory holds %d cells, want 12", len(cells))
	}
}
