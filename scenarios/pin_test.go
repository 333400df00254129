package scenarios_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// pinDuration caps each built-in's run length in the pin test, so the whole
// library runs in seconds.
const pinDuration = 15 * sim.Minute

// pinned runs one built-in with the pin test's own fixed settings (one
// replication, at most pinDuration or until five minutes after the last
// fault starts, a warmup of at most a tenth of that)
// and returns the bytes the pin hashes: the summary JSON and every run's
// series CSV.
func pinned(t *testing.T, name string) []byte {
	t.Helper()
	sc, err := scenarios.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Replications = 1
	limit := pinDuration
	for _, f := range sc.Faults { // every fault starts inside the run
		limit = max(limit, f.At.T()+5*sim.Minute)
	}
	if sc.Duration.T() > limit {
		sc.Duration = scenarios.Duration(limit)
	}
	sc.Warmup = min(sc.Warmup, scenarios.Duration(sc.Duration.T()/10))
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, reports.NewSummary(res, reports.Meta{Version: "test"})); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Strategies {
		for _, r := range s.Runs {
			if err := reports.WriteSeriesCSV(&buf, r.Series); err != nil {
				t.Fatal(err)
			}
		}
	}
	return buf.Bytes()
}

// TestPinned pins the model's behaviour: every built-in scenario, run with
// fixed short settings, must hash to the value in testdata/pinned.golden.
// A refactor of the model that changes no behaviour leaves every hash as it
// is; a change in behaviour shows up as a diff of this file (regenerate
// with -update and review which scenarios moved).
func TestPinned(t *testing.T) {
	// -update is declared by the package's internal tests (scenario_test.go).
	update := flag.Lookup("update").Value.String() == "true"
	golden := filepath.Join("testdata", "pinned.golden")
	want := map[string]string{}
	if !update {
		src, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(src)), "\n") {
			name, sum, ok := strings.Cut(line, " ")
			if !ok {
				t.Fatalf("%s: malformed line %q", golden, line)
			}
			want[name] = sum
		}
	}
	var mu sync.Mutex
	got := map[string]string{}
	t.Run("builtins", func(t *testing.T) {
		for _, b := range scenarios.Builtins() {
			t.Run(b.Name, func(t *testing.T) {
				t.Parallel()
				sum := fmt.Sprintf("%x", sha256.Sum256(pinned(t, b.Name)))
				mu.Lock()
				got[b.Name] = sum
				mu.Unlock()
				if !update && want[b.Name] != sum {
					t.Errorf("%s: output hash %s, pinned %s (behaviour changed; rerun with -update if intended)", b.Name, sum, want[b.Name])
				}
			})
		}
	})
	if update {
		var out strings.Builder
		for _, b := range scenarios.Builtins() {
			fmt.Fprintf(&out, "%s %s\n", b.Name, got[b.Name])
		}
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
