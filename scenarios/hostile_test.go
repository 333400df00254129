package scenarios

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/sim"
)

// Hostile inputs that used to crash, hang or exhaust memory. Those with a
// positioned error live in testdata/errors (merge-self, nonfinite,
// overflow-dists, ...); these need code to build or to look inside.

// TestMergeKeysExpandOnce: eleven levels each merging the previous level
// ten times (cost ×10 per level: 10^11 pairs if expanded naively) parse at
// once, because a mapping merged twice is expanded once.
func TestMergeKeysExpandOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: merge-levels\nduration: 1m\ntopology:\n  services: [{name: api, service_time: 10ms}]\n  clients: [{name: c, target: api, rate: 1/s}]\nstrategies:\n  - &m0 {name: s0}\n")
	for i := 1; i <= 11; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "  - &m%d {name: s%d, <<: [%s]}\n", i, i, refs)
	}
	sc, err := Parse("merge-levels.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Strategies) != 12 || sc.Strategies[11].Name != "s11" {
		t.Fatalf("got %d strategies", len(sc.Strategies))
	}
}

// TestMergeCycleThroughOthers: a cycle of merges through two mappings
// is reported, not followed forever.
func TestMergeCycleThroughOthers(t *testing.T) {
	src := "name: c\nduration: 1m\ntopology: &t\n  services: [{name: api, service_time: 10ms}]\n  clients: [{name: c, target: api, rate: 1/s}]\n  telemetry: &a {interval: &b {<<: *a}, <<: *b}\n"
	_, err := Parse("cycle.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "merge key (<<) merges a mapping that contains it") {
		t.Fatalf("got %v", err)
	}
}

// TestExpansionBudget: decoding through aliases stops with one positioned
// error when the budget is spent, whatever the document holds.
func TestExpansionBudget(t *testing.T) {
	src := "name: x\ntopology:\n  regions: &r [" + strings.TrimSuffix(strings.Repeat("{name: a, zones: [a, b, c]}, ", 40), ", ") + "]\n"
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	d := newDecoder("budget.yaml")
	d.budget = 50
	var sc Scenario
	d.decode(root.Content[0], reflectValue(&sc), "")
	var hits []string
	for _, e := range d.errs {
		if strings.Contains(e.Msg, "expand to too many values") {
			hits = append(hits, e.Error())
		}
	}
	if len(hits) != 1 || !strings.HasPrefix(hits[0], "budget.yaml:3:") {
		t.Fatalf("want one positioned budget error, got %q", hits)
	}
}

// panicky is a distribution whose draws panic: a stand-in for a bug.
type panicky struct{ sim.Dist }

func (panicky) Sample(*rand.Rand) float64 { panic("boom") }

// TestRunRecoversPanics: a panic in one run (on a worker goroutine, where
// it would kill the process) comes back as an *InternalError naming the
// strategy and the replication seed that reproduce it.
func TestRunRecoversPanics(t *testing.T) {
	sc, err := Parse("p.yaml", []byte("name: p\nduration: 10s\nreplications: 2\ntopology:\n  services: [{name: api, service_time: 10ms}]\n  clients: [{name: c, target: api, rate: 10/s}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Topology.Services[0].ServiceTime = &Dist{Dist: panicky{sim.Constant{V: 0.01}}}
	_, err = Run(context.Background(), sc, Options{Workers: 2})
	var ie *InternalError
	if !errors.As(err, &ie) || ie.Strategy != "round-robin" || ie.Value != "boom" || len(ie.Stack) == 0 {
		t.Fatalf("got %v", err)
	}
	if !slices.Contains([]uint64{sim.SubSeed(1, 0) & (1<<53 - 1), sim.SubSeed(1, 1) & (1<<53 - 1)}, ie.Seed) {
		t.Fatalf("seed %d is not a replication seed", ie.Seed)
	}
}

// TestListSizeLimit: a file with more services than a scenario may have
// is refused before validation compares them with each other (quadratic).
func TestListSizeLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: big\nduration: 1m\ntopology:\n  clients: [{name: c, target: s0, rate: 1/s}]\n  services:\n")
	for i := range MaxListItems + 1 {
		fmt.Fprintf(&b, "    - {name: s%d, service_time: 1ms}\n", i)
	}
	_, err := Parse("big.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "topology.services: has 10001 items; a scenario may have at most 10000") {
		t.Fatalf("got %v", err)
	}
}

// TestAllProblemsAtOnce: typos.yaml used to report its 4 decoding problems
// and, once those were fixed, 10 more. Now the first report holds every
// problem that remains after fixing the decoding ones.
func TestAllProblemsAtOnce(t *testing.T) {
	src, err := os.ReadFile("testdata/errors/typos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first := problems(t, src)
	fixed := strings.NewReplacer("duration: 10\n", "duration: 30m\n", "replica: 3", "replicas: 3",
		"exponental", "exponential", "rate: 90\n", "rate: 90/s\n").Replace(string(src))
	second := problems(t, []byte(fixed))
	if len(second) == 0 || len(second) >= len(first) {
		t.Fatalf("%d problems, then %d after fixing the decoding ones", len(first), len(second))
	}
	for _, p := range second {
		if !slices.Contains(first, p) {
			t.Errorf("found only after the first fixes: %s", p)
		}
	}
}

func problems(t *testing.T, src []byte) []string {
	t.Helper()
	_, err := Parse("typos.yaml", src)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v", err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}
