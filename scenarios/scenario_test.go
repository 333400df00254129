package scenarios

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestErrorsGolden parses each testdata/errors/*.yaml and compares every
// reported problem with the .want file beside it.
func TestErrorsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.yaml")
	if len(files) == 0 {
		t.Fatal("no error fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(filepath.Base(f), src)
			if err == nil {
				t.Fatal("invalid scenario parsed without error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".want"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got != string(want) {
				t.Errorf("errors differ\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestDefaultsAndUnits(t *testing.T) {
	sc, err := Parse("ok.yaml", []byte(`
name: ok
duration: 1d12h
topology:
  regions: [{name: east, zones: [a, b]}, {name: west}]
  network: {cross_region: {dist: uniform, min: 30ms, max: 50ms}}
  services:
    - {name: api, replicas: 4, service_time: {dist: lognormal, median: 20ms, sigma: 0.5}, zones: [east, west/a], error_rate: 0.5%, queue: 10}
  clients:
    - name: users
      target: api
      rate: 5400/min
      schedule:
        - {at: 1h, rate: 180/s}
        - {at: 2h, rate: 900/s, duration: 30s}
        - {at: 3h, rate: 45/s, ramp: 10m}
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Duration.T() != 36*sim.Hour || sc.Seed != 1 || sc.Replications != 1 || sc.Drain.T() != 10*sim.Minute {
		t.Errorf("duration/seed/replications/drain = %v/%d/%d/%v", sc.Duration, sc.Seed, sc.Replications, sc.Drain)
	}
	if len(sc.Strategies) != 1 || sc.Strategies[0].Routing != "round-robin" {
		t.Errorf("default strategy = %+v", sc.Strategies)
	}
	spec, err := sc.Spec()
	if err != nil {
		t.Fatal(err)
	}
	svc := spec.Services[0]
	if svc.QueueCapacity != 10 || svc.ErrorRate != 0.005 || len(svc.Places) != 3 || svc.Concurrency != 1 {
		t.Errorf("service spec %+v", svc)
	}
	prof := spec.Clients[0].Rate
	for _, c := range []struct {
		at   sim.Time
		want float64
	}{{0, 90}, {90 * sim.Minute, 180}, {2*sim.Hour + 10*sim.Second, 900}, {2*sim.Hour + sim.Minute, 180}, {3*sim.Hour + 5*sim.Minute, 112.5}, {4 * sim.Hour, 45}} {
		if got := prof.At(c.at); got != c.want {
			t.Errorf("rate at %v = %g, want %g", c.at, got, c.want)
		}
	}
}

func TestOpenSuggestsBuiltins(t *testing.T) {
	_, err := Open("mm2")
	if err == nil || !strings.Contains(err.Error(), "did you mean mm1?") {
		t.Fatalf("Open(mm2) error = %v, want a did-you-mean for mm1", err)
	}
}
