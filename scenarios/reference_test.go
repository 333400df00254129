package scenarios

import (
	"bytes"
	"os"
	"testing"
)

const referenceFile = "../docs/scenario-format.md"

// TestReferenceMatchesCode regenerates the format reference from the
// code and compares it with docs/scenario-format.md, so the documentation
// cannot drift from the format. Run with -update to rewrite it.
func TestReferenceMatchesCode(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteReference(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referenceFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date with the code; regenerate it with: go test ./scenarios -run Reference -update", referenceFile)
	}
}

// TestEveryKeyIsDocumented requires a doc tag on every key.
func TestEveryKeyIsDocumented(t *testing.T) {
	for _, k := range Keys() {
		if k.Doc == "" {
			t.Errorf("%s has no doc tag", k.Path)
		}
	}
	if k, ok := LookupKey("topology.services[api].replicas"); !ok || k.Type != "integer" || k.Default != "1" {
		t.Errorf("LookupKey: %+v %v", k, ok)
	}
}
