package reports

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
)

func TestParseObjectiveAndConstraint(t *testing.T) {
	for in, want := range map[string]string{
		"minimize:latency_p99":               "minimize latency_p99",
		"maximize route_success_rate":        "maximize route_success_rate",
		"latency_p99":                        "minimize latency_p99",
		"slo_compliance:availability":        "maximize slo_compliance:availability",
		"minimize:latency_p99:during":        "minimize latency_p99:during",
		"minimize:error_budget_burn_rate:av": "minimize error_budget_burn_rate:av",
	} {
		o, err := ParseObjective(in)
		if err != nil || o.String() != want {
			t.Errorf("%s: %v %v, want %s", in, o, err, want)
		}
	}
	if _, err := ParseObjective("request_rate"); err == nil || !strings.Contains(err.Error(), "no better direction") {
		t.Errorf("neutral metric: %v", err)
	}
	c, err := ParseConstraint("latency_p99<=250ms")
	if err != nil || c.Value != 0.25 || c.Op != "<=" || c.String() != "latency_p99 <= 250ms" {
		t.Errorf("constraint %+v %v", c, err)
	}
	if c, err := ParseConstraint("route_success_rate >= 99.9%"); err != nil || c.Value != 0.999 {
		t.Errorf("ratio constraint %+v %v", c, err)
	}
	for _, bad := range []string{"latency_p99=1s", "latency_p99<=1", "latncy_p99<=1s"} {
		if _, err := ParseConstraint(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestRankOrdersFeasibleCells(t *testing.T) {
	cell := func(i int, p99, ok float64) SweepCell {
		return SweepCell{Index: i, Metrics: map[string]MetricStat{
			"latency_p99":        {Mean: Float(p99)},
			"route_success_rate": {Mean: Float(ok)},
		}}
	}
	doc := &SweepDoc{Cells: []SweepCell{cell(0, 0.3, 1), cell(1, 0.1, 0.9), cell(2, 0.2, 1), cell(3, math.NaN(), 1), cell(4, 0.2, 1)}}
	obj := Objective{Metric: "latency_p99", Dir: metrics.Lower}
	c, _ := ParseConstraint("route_success_rate>=99%")
	if err := Rank(doc, obj, []Constraint{c}); err != nil {
		t.Fatal(err)
	}
	var ranks []int
	for _, c := range doc.Cells {
		ranks = append(ranks, c.Rank)
	}
	// Cell 1 is fastest but breaks the constraint; 2 and 4 tie and keep
	// grid order; an undefined objective is not ranked.
	if want := []int{3, 0, 1, 0, 2}; !slices.Equal(ranks, want) {
		t.Errorf("ranks %v, want %v", ranks, want)
	}
	if doc.Best().Index != 2 || doc.Objective != "minimize latency_p99" || doc.Constraints[0] != "route_success_rate >= 99%" {
		t.Errorf("best %d, objective %q, constraints %v", doc.Best().Index, doc.Objective, doc.Constraints)
	}
}
