package scenariotest_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTestingDocQuotesTheSources: docs/testing.md shows ExampleRun (whose
// output go test checks), the example module's property and the chaos
// output of the CLI's golden test verbatim, so the page cannot drift from
// what the tests run.
func TestTestingDocQuotesTheSources(t *testing.T) {
	doc := read(t, "../../docs/testing.md")
	example := regexp.MustCompile(`(?ms)^func ExampleRun\(\) \{.*?^\}\n`).FindString(read(t, "example_test.go"))
	require.NotEmpty(t, example)
	assert.Contains(t, doc, "```go\n"+example+"```")
	prop := regexp.MustCompile(`(?ms)^// TestRecoversFromFaults.*?^\}\n`).FindString(read(t, "../../docs/examples/proptest/api_test.go"))
	require.NotEmpty(t, prop)
	assert.Contains(t, doc, "```go\n"+prop+"```")
	_, golden, ok := strings.Cut(read(t, "../../cmd/tangle/testdata/script/chaos.txtar"), "-- naive.golden --\n")
	require.True(t, ok)
	assert.Contains(t, doc, "```text\n"+golden+"```")
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
