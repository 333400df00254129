package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlAsJSON reads YAML into the values a JSON document would hold.
func yamlAsJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSchemaAcceptsEveryShippedScenario validates every built-in scenario,
// the example files under docs/ and the `tangle new` starter against the
// JSON Schema `tangle schema` prints.
func TestSchemaAcceptsEveryShippedScenario(t *testing.T) {
	s := compiledSchema(t)
	files := map[string][]byte{"starter": Starter("x")}
	for _, b := range Builtins() {
		src, err := BuiltinSource(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		files["builtin:"+b.Name] = src
	}
	docs, _ := filepath.Glob("../docs/*/*.yaml")
	for _, f := range docs {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(src, []byte("kind: Job")) {
			continue // Kubernetes manifests
		}
		files[f] = src
	}
	for name, src := range files {
		if err := s.Validate(yamlAsJSON(t, src)); err != nil {
			t.Errorf("%s does not validate against the schema:\n%v", name, err)
		}
	}
}

func TestSchemaRejectsWhatTheDecoderRejects(t *testing.T) {
	s := compiledSchema(t)
	base := "name: x\nduration: 10m\ntopology:\n  services: [{name: api, service_time: 1ms}]\n  clients: [{name: u, target: api, rate: 1/s}]\n"
	for _, bad := range []string{
		base + "replicationz: 3\n",
		strings.Replace(base, "rate: 1/s", "rate: 1", 1),
		strings.Replace(base, "duration: 10m", "duration: 10", 1),
		base + "strategies: [{name: a, routing: round-robbin}]\n",
		base + "strategies: [{name: a, routing: random, params: {choices: 2}}]\n",
		base + "faults: [{kind: crash, target: {mode: some}}]\n",
		base + "checks: [{metric: latency_p99, max: 1s, phase: while}]\n",
		"duration: 10m\n",
	} {
		if err := s.Validate(yamlAsJSON(t, []byte(bad))); err == nil {
			t.Errorf("schema accepts an invalid scenario:\n%s", bad)
		}
		if _, err := Parse("bad.yaml", []byte(bad)); err == nil {
			t.Errorf("decoder accepts:\n%s", bad)
		}
	}
}

// TestStarterValidatesAndRuns checks `tangle new` writes a scenario that
// loads, and that its checks hold on a short run.
func TestStarterValidatesAndRuns(t *testing.T) {
	sc, err := Parse("starter.yaml", Starter("demo"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "demo" || len(sc.Strategies) != 2 || len(sc.Faults) != 1 || len(sc.SLOs) != 1 || len(sc.Checks) != 2 {
		t.Fatalf("starter lost a section: %+v", sc)
	}
	sc.Replications = 2
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Checks() {
		if c.Kind != "slo" && !c.Passed {
			t.Errorf("starter check %s failed on %s: %g %s %g", c.Name, c.Strategy, c.Value, c.Op, c.Threshold)
		}
	}
}
