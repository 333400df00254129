package scenarios

import (
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

const overrideBase = `name: o
duration: 10m
topology:
  services:
    - {name: api, replicas: 2, service_time: 10ms}
    - {name: db, replicas: 3, service_time: 1ms}
  clients:
    - {name: users, target: api, rate: 10/s}
strategies:
  - {name: rr, routing: round-robin}
  - {name: rnd, routing: random}
`

func sets(t *testing.T, args ...string) []Override {
	t.Helper()
	var out []Override
	for _, a := range args {
		o, err := ParseOverride(a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func TestOverridesSetValues(t *testing.T) {
	sc, err := Parse("o.yaml", []byte(overrideBase), sets(t,
		"topology.services[db].replicas=7",
		"topology.services[0].concurrency=4",
		"topology.clients[users].rate=120/s",
		"topology.telemetry.delay=2s",
		"strategies[rnd].load=live",
		"seed=99",
		"topology.services[api].service_time={dist: exponential, mean: 5ms}",
	)...)
	if err != nil {
		t.Fatal(err)
	}
	s := sc.Topology.Services
	if s[1].Replicas != 7 || s[0].Concurrency != 4 || sc.Topology.Clients[0].Rate != 120 || sc.Seed != 99 ||
		sc.Topology.Telemetry.Delay.T() != 2*sim.Second || sc.Strategies[1].Load != "live" || sc.Topology.Telemetry.Interval.T() != sim.Second {
		t.Errorf("overrides not applied: %+v", sc)
	}
	if m := s[0].ServiceTime.Mean(); m != 0.005 {
		t.Errorf("service time mean %g, want 0.005", m)
	}
	if len(sc.Overrides) != 7 {
		t.Errorf("Overrides recorded: %v", sc.Overrides)
	}
}

func TestOverrideErrorsAreReportedAtTheFlag(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"topology.clients[0].rate=fast", `--set topology.clients[0].rate=fast: topology.clients[0].rate: expected a rate such as 90/s, 5400/min or 2/h, got "fast"`},
		{"topology.services[0].replica=3", "--set topology.services[0].replica=3: topology.services[0].replica: unknown key; expected one of name, replicas"},
		{"topology.services[ap].replicas=3", `--set topology.services[ap].replicas=3: topology.services has no element named "ap"; names are api, db (did you mean api?)`},
		{"topology.services[5].replicas=3", "--set topology.services[5].replicas=3: topology.services has 2 elements; index 5 is out of range"},
		{"topology.services[0].replicas=0", "--set topology.services[0].replicas=0: topology.services[0].replicas: must be at least 1, got 0"},
		{"topology.telemtry.delay=1s", "(did you mean telemetry?)"},
		{"name.x=1", "name is a value, not a mapping"},
		{"strategies[rr].params.choices=2", "--set strategies[rr].params.choices=2: strategies[0].params.choices: routing round-robin has no parameter"},
	} {
		_, err := Parse("o.yaml", []byte(overrideBase), sets(t, c.set)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s: got %v\nwant %q", c.set, err, c.want)
		}
	}
	if _, err := ParseOverride("novalue"); err == nil {
		t.Error("ParseOverride accepted a missing =")
	}
	if _, err := ParseOverride("a..b=1"); err == nil {
		t.Error("ParseOverride accepted an empty key")
	}
}

// TestOverrideExpandsPlugShorthand: a plug point written by name
// (reconciler: argocd) takes --set …params.X and …kind as if it had been
// written {kind: argocd}; the error for an unknown parameter still names
// the strategy.
func TestOverrideExpandsPlugShorthand(t *testing.T) {
	sc, err := Builtin("argocd-selfheal-fight", sets(t, "strategies[self-heal-backoff].reconciler.params.backoff_cap=30s")...)
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Strategies[0].Reconciler
	if p.Kind != "argocd" || p.params["backoff_cap"] != 30*sim.Second {
		t.Errorf("reconciler %q with params %v, want argocd with backoff_cap 30s", p.Kind, p.params)
	}
	sc, err = Builtin("argocd-selfheal-fight", sets(t, "strategies[self-heal-backoff].reconciler.kind=flux")...)
	if err != nil {
		t.Fatal(err)
	}
	if k := sc.Strategies[0].Reconciler.Kind; k != "flux" {
		t.Errorf("reconciler kind %q after --set …reconciler.kind=flux", k)
	}
	_, err = Builtin("argocd-selfheal-fight", sets(t, "strategies[self-heal-backoff].reconciler.params.backof_cap=30s")...)
	if err == nil || !strings.Contains(err.Error(), `"backof_cap"`) || !strings.Contains(err.Error(), "backoff_cap") {
		t.Errorf("misspelt parameter: %v", err)
	}
}
