package sweep_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tangle-sim/tangle/scenarios/sweep"
)

// TestSweepSameWhateverWorkers: a sweep's document is byte-identical run
// with 1 worker, with fewer workers than cells and with more (the cells'
// runs share the workers' slots, so the last cell's replications run in
// parallel).
func TestSweepSameWhateverWorkers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(file, []byte(`name: api
duration: 20s
replications: 3
topology:
  services: [{name: api, replicas: 2, service_time: {dist: exponential, mean: 20ms}}]
  clients: [{name: users, target: api, rate: 80/s}]
strategies:
  - {name: rr, routing: round-robin}
  - {name: p2c, routing: least-request}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := sweep.NewPlan(sweep.Spec{Arg: file, Params: []string{"topology.services[api].replicas=2..4/1"}})
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, workers := range []int{1, 2, 5} {
		doc, err := sweep.Run(context.Background(), pl, "", sweep.Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
		} else if string(got) != string(want) {
			t.Fatalf("%d workers: the document differs from 1 worker's", workers)
		}
	}
}
