package reports

import (
	"bytes"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// TestAuditJSONLSchema pins the audit trail's line schema as docs/results.md
// documents it: the keys, their order, optional keys left out when empty,
// undefined numbers as null.
func TestAuditJSONLSchema(t *testing.T) {
	res := &scenarios.Result{Strategies: []scenarios.StrategyResult{{Name: "central", Runs: []scenarios.RunResult{{}, {Audit: []routectl.AuditEntry{
		{At: 1500 * sim.Millisecond, Actor: "controller", Scope: "users/edge", Decision: "east=0.700 west=0.300",
			Inputs:  []routectl.AuditInput{{Signal: "latency/east", Value: 0.25, Age: 2 * sim.Second}, {Signal: "load/west", Value: math.NaN()}},
			Outcome: "pushed v2", Detail: "fallback"},
		{At: 3 * sim.Second, Actor: "attacker", Decision: "hold", Outcome: "rejected by policy"},
	}}}}}}
	var buf bytes.Buffer
	if err := WriteAuditJSONL(&buf, res); err != nil {
		t.Fatal(err)
	}
	want := `{"strategy":"central","replication":1,"time_s":1.5,"actor":"controller","decision":"east=0.700 west=0.300","inputs":[{"signal":"latency/east","value":0.25,"age_s":2},{"signal":"load/west","value":null,"age_s":0}],"scope":"users/edge","outcome":"pushed v2","detail":"fallback"}
{"strategy":"central","replication":1,"time_s":3,"actor":"attacker","decision":"hold","inputs":[],"outcome":"rejected by policy"}
`
	if buf.String() != want {
		t.Errorf("audit JSONL changed:\n got %s\nwant %s", buf.String(), want)
	}
}
