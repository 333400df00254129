package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/strategies"
)

// TestExplainedAutoscalersValidate: the example `tangle explain
// AUTOSCALER` prints is a scenario fragment that validates as written.
func TestExplainedAutoscalersValidate(t *testing.T) {
	for _, d := range strategies.Autoscalers() {
		var out bytes.Buffer
		explainAutoscaler(&out, d)
		_, ex, ok := strings.Cut(out.String(), "\nexample:\n")
		if !ok {
			t.Fatalf("explain %s: no example in\n%s", d.Name, out.String())
		}
		var src strings.Builder
		src.WriteString("name: explained\nduration: 1m\n")
		for _, line := range strings.Split(strings.TrimRight(ex, "\n"), "\n") {
			src.WriteString(strings.TrimPrefix(line, "  ") + "\n")
			if strings.TrimSpace(line) == "- {name: api, replicas: 2, max_replicas: 10, service_time: 50ms}" {
				src.WriteString("  clients:\n    - {name: users, target: api, rate: 10/s}\n")
			}
		}
		if _, err := scenarios.Parse("explained.yaml", []byte(src.String())); err != nil {
			t.Errorf("explain %s: the example does not validate: %v\n%s", d.Name, err, src.String())
		}
	}
}
