package sweep_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios/sweep"
)

// Sweeping a scenario from Go: plan the cells, run them (here without a
// directory, so nothing is saved), rank them.
func Example() {
	dir, _ := os.MkdirTemp("", "sweep-example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "api.yaml")
	os.WriteFile(file, []byte(`name: api
duration: 1m
topology:
  services: [{name: api, replicas: 2, service_time: {dist: exponential, mean: 20ms}}]
  clients: [{name: users, target: api, rate: 80/s}]
`), 0o644)

	pl, err := sweep.NewPlan(sweep.Spec{Arg: file, Params: []string{"topology.services[api].replicas=2..4/1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	doc, err := sweep.Run(context.Background(), pl, "", sweep.Options{Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, _ := reports.ParseObjective("minimize:latency_p99")
	if err := reports.Rank(doc, obj, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d cells; best: replicas=%s\n", len(doc.Cells), doc.Best().Values["topology.services[api].replicas"])
	// Output: 3 cells; best: replicas=4
}
