package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeScenario(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunOutReplacedWhole: a rerun with fewer replications leaves no
// stale CSV, and temporary files orphaned by a killed run are removed.
func TestRunOutReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	sc := writeScenario(t, dir, okScenario)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tangle(t, "run", sc, "-q", "--out", out, "--replications", "3"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// What a run killed while writing leaves: a temporary directory
	// beside out and a temporary file beside a report.
	orphanDir := filepath.Join(dir, ".out.tmp-123")
	orphanFile := filepath.Join(dir, ".r.html.tmp-456")
	os.Mkdir(orphanDir, 0o755)
	os.WriteFile(filepath.Join(orphanDir, "results.json"), make([]byte, 1<<20), 0o644)
	os.WriteFile(orphanFile, []byte("partial"), 0o644)
	if code, _, stderr := tangle(t, "run", sc, "-q", "--out", out, "--replications", "1", "--html", filepath.Join(dir, "r.html")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	csvs, _ := filepath.Glob(filepath.Join(out, "series", "*", "*.csv"))
	if len(csvs) != 1 {
		t.Errorf("series after a 1-replication rerun: %v", csvs)
	}
	for _, p := range []string{orphanDir, orphanFile} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("orphan %s was not cleaned up", p)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestOutputRefusals: tangle never replaces a directory it did not write,
// nor renames over anything but a regular file (a symlink such as
// /dev/stdout), and says so before simulating; "-" is standard output.
func TestOutputRefusals(t *testing.T) {
	dir := t.TempDir()
	sc := writeScenario(t, dir, okScenario)
	target := filepath.Join(dir, "target.txt")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	notOurs := filepath.Join(dir, "home")
	os.Mkdir(notOurs, 0o755)
	os.WriteFile(filepath.Join(notOurs, "notes.txt"), []byte("mine"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--html", link}, "is not a regular file"},
		{[]string{"--audit", link}, "is not a regular file"},
		{[]string{"--out", notOurs}, "does not hold the results of a tangle run"},
		{[]string{"--out", filepath.Join(target, "sub")}, "not a directory"},
	} {
		code, _, stderr := tangle(t, append([]string{"run", sc, "-q"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the symlink's target was changed: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced")
	}
	if _, err := os.Stat(filepath.Join(notOurs, "notes.txt")); err != nil {
		t.Errorf("a directory tangle did not write was replaced")
	}
	code, out, stderr := tangle(t, "run", sc, "-q", "--html", "-")
	if code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(out), "</html>") {
		t.Errorf("--html -: exit %d, stderr %q, stdout is not just the report", code, stderr)
	}
	if code, _, stderr := tangle(t, "run", sc, "-q", "--json", "--html", "-"); code != exitUsage || !strings.Contains(stderr, "only one of") {
		t.Errorf("--json with --html -: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Errorf("--html - wrote a file named -")
	}
}

// TestStrategyNamesNeverShareAFile: strategies named a/b and a b used to
// write the same series file, one silently lost.
func TestStrategyNamesNeverShareAFile(t *testing.T) {
	dir := t.TempDir()
	sc := writeScenario(t, dir, okScenario+"strategies: [{name: a/b}, {name: a b}, {name: a_b}]\n")
	out := filepath.Join(dir, "out")
	if code, _, stderr := tangle(t, "run", sc, "-q", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	csvs, _ := filepath.Glob(filepath.Join(out, "series", "*", "replication-0.csv"))
	if len(csvs) != 3 {
		t.Errorf("want one series file per strategy, got %v", csvs)
	}
}
