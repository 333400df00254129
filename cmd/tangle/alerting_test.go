package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAlertingDocHeaderIsReal: the rules-test.yaml header lines that
// docs/alerting.md quotes for the worked example are what tangle run
// --prometheus writes for it.
func TestAlertingDocHeaderIsReal(t *testing.T) {
	t.Chdir("../..")
	doc, err := os.ReadFile("docs/alerting.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`(?m)^# (fault|slo) .*$`).FindAllString(string(doc), -1)
	if len(quoted) < 2 {
		t.Fatalf("docs/alerting.md quotes %d header lines; expected the fault and the 1h/5m page", len(quoted))
	}
	dir := t.TempDir()
	code, _, stderr := tangle(t, "run", "docs/examples/alerts/outage.yaml", "--quiet", "--prometheus", dir, "--scrape-interval", "5m")
	if code != 1 { // the outage breaks the SLO
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "rr", "replication-0", "rules-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range quoted {
		if !strings.Contains(string(got), line+"\n") {
			t.Errorf("docs/alerting.md quotes %q; tangle wrote:\n%s", line, strings.Join(strings.SplitN(string(got), "\n", 10)[:9], "\n"))
		}
	}
}
