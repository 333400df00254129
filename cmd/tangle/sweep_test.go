package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sweepScenario = `name: sw
duration: 1m
replications: 2
topology:
  services:
    - {name: api, replicas: 3, concurrency: 2, service_time: {dist: exponential, mean: 20ms}}
  clients:
    - {name: users, target: api, rate: 150/s, callers: 3}
strategies:
  - {name: rr, routing: round-robin}
  - {name: rnd, routing: random}
`

func sweepFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "sw.yaml")
	if err := os.WriteFile(f, []byte(sweepScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func sweepArgs(file string, extra ...string) []string {
	return append([]string{"sweep", file, "-q",
		"--param", "topology.services[api].replicas=2..4/1",
		"--param", "topology.telemetry.interval=1s,5s",
		"--objective", "minimize:latency_p99", "--constraint", "route_success_rate>=99%"}, extra...)
}

// dirFiles reads every file under dir, by relative path.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := dirFiles(t, a), dirFiles(t, b)
	var na, nb []string
	for k := range fa {
		na = append(na, k)
	}
	for k := range fb {
		nb = append(nb, k)
	}
	slices.Sort(na)
	slices.Sort(nb)
	if !slices.Equal(na, nb) {
		t.Fatalf("%s has %v\n%s has %v", a, na, b, nb)
	}
	for _, k := range na {
		if !bytes.Equal(fa[k], fb[k]) {
			t.Errorf("%s differs between %s and %s", k, a, b)
		}
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := tangle(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
	}
	return out
}

// TestSweepParallelEqualsSequential runs one sweep with one worker and
// with four, and requires byte-identical output directories.
func TestSweepParallelEqualsSequential(t *testing.T) {
	f := sweepFile(t)
	seq, par := t.TempDir(), t.TempDir()
	out := mustRun(t, sweepArgs(f, "--workers", "1", "--out", seq)...)
	mustRun(t, sweepArgs(f, "--workers", "4", "--out", par)...)
	sameDirs(t, seq, par)
	if !strings.Contains(out, "sweep of 12 cells") || !strings.Contains(out, "rerun: tangle run ") {
		t.Errorf("table lacks the cell count or the best cell's rerun:\n%s", out)
	}
}

// TestShardsMergeEqualUnsharded splits a sweep over three shards (one of
// them through JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it),
// merges them, and requires the merged directory to equal the unsharded
// sweep's byte for byte.
func TestShardsMergeEqualUnsharded(t *testing.T) {
	f := sweepFile(t)
	whole := t.TempDir()
	mustRun(t, sweepArgs(f, "--out", whole)...)
	base := t.TempDir()
	var shards []string
	for i := range 3 {
		dir := filepath.Join(base, "shard-"+string(rune('0'+i)))
		spec := string(rune('0'+i)) + "/3"
		if i == 2 {
			t.Setenv("JOB_COMPLETION_INDEX", "2")
			spec = "auto/3"
		}
		out := mustRun(t, sweepArgs(f, "--out", dir, "--shard", spec)...)
		if !strings.Contains(out, "this is shard "+string(rune('0'+i))+"/3") {
			t.Errorf("shard %d output does not say it is a shard:\n%s", i, out)
		}
		shards = append(shards, dir)
	}
	// Missing a shard is an error naming the missing cells.
	code, _, stderr := tangle(t, "merge", shards[0], shards[1])
	if code != 2 || !strings.Contains(stderr, "4 of 12 cells are missing (2 of 3 shards given)") {
		t.Errorf("merge of two of three shards: exit %d, %s", code, stderr)
	}
	merged := filepath.Join(base, "merged")
	mustRun(t, append([]string{"merge", "--out", merged}, shards...)...)
	sameDirs(t, whole, merged)
}

// TestSweepResumes removes completed cells from a finished sweep and
// reruns it: only the missing cells run, and the result is the same.
func TestSweepResumes(t *testing.T) {
	f := sweepFile(t)
	dir := t.TempDir()
	mustRun(t, sweepArgs(f, "--out", dir)...)
	before := dirFiles(t, dir)
	for _, i := range []string{"000003", "000007"} {
		if err := os.Remove(filepath.Join(dir, "cells", "cell-"+i+".json")); err != nil {
			t.Fatal(err)
		}
	}
	args := slices.DeleteFunc(sweepArgs(f, "--out", dir), func(s string) bool { return s == "-q" })
	code, _, stderr := tangle(t, args...)
	if code != 0 || !strings.Contains(stderr, "10 cells already done") || !strings.Contains(stderr, "2 to run") {
		t.Fatalf("resume: exit %d, stderr %q", code, stderr)
	}
	after := dirFiles(t, dir)
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Errorf("%s differs after resuming", k)
		}
	}
	// A changed scenario is refused rather than mixed in.
	os.WriteFile(f, []byte(strings.Replace(sweepScenario, "150/s", "160/s", 1)), 0o644)
	code, _, stderr = tangle(t, sweepArgs(f, "--out", dir)...)
	if code != 2 || !strings.Contains(stderr, "holds a different sweep (the scenario file changed)") {
		t.Errorf("changed scenario: exit %d, %s", code, stderr)
	}
}
