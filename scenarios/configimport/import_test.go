package configimport_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios/configimport"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestImportGolden imports every testdata file, written as its project's
// docs write it, and compares the strategy block (values, the field each
// came from, warnings) with its golden file. Every format names at least
// one field it does not model: none is ignored silently.
func TestImportGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	require.GreaterOrEqual(t, len(files), 6)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := configimport.ImportFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, b.Warnings, "every example has fields tangle does not model; each must be named")
			got := b.YAML("prod")
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// TestImportErrors: values the real system rejects are rejected with its
// own message, positioned at the field.
func TestImportErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"envoy-choice-count.yaml", "envoy-choice-count.yaml:5:3: Envoy Cluster rejected: invalid Cluster.LeastRequestLbConfig: embedded message failed validation | caused by: invalid Cluster_LeastRequestLbConfig.ChoiceCount: value must be greater than or equal to 2"},
		{"envoy-unknown-field.yaml", `envoy-unknown-field.yaml:5:3: Envoy Cluster: proto:`},
		{"hpa-min-zero.yaml", "hpa-min-zero.yaml:7:16: spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"},
		{"deployment-zero-zero.yaml", "deployment-zero-zero.yaml:7:50: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"},
		{"istio-unknown-field.yaml", "istio-unknown-field.yaml:8:7: Istio DestinationRule: proto:"},
	}
	for _, tt := range tests {
		_, err := configimport.ImportFile(filepath.Join("testdata/errors", tt.file))
		require.Error(t, err, tt.file)
		require.Contains(t, err.Error(), tt.want)
	}
}

// TestNodeRoundTrips: the block a file imports, written as a strategy,
// reads back as the same keys and values.
func TestSourcesNameEveryValue(t *testing.T) {
	b, err := configimport.ImportFile("testdata/envoy-cluster.yaml")
	require.NoError(t, err)
	src := strings.Join(b.Sources(), "\n")
	for _, want := range []string{
		"routing = least-request ← Cluster lb_policy (testdata/envoy-cluster.yaml:",
		"params.choices = 3 ← Cluster least_request_lb_config.choice_count",
		"guards[outlier-detection].params.consecutive_5xx = 3 ← Cluster outlier_detection.consecutive_5xx",
		"retries.budget = 25% ← Cluster circuit_breakers.thresholds[0].retry_budget",
	} {
		require.Contains(t, src, want)
	}
}

// FuzzImport: any bytes import or fail with an error; nothing panics.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	errs, _ := filepath.Glob("testdata/errors/*.yaml")
	for _, name := range append(files, errs...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		b, err := configimport.Import("fuzz.yaml", src)
		if err == nil {
			_ = b.YAML("fuzz")
			_ = b.Node(1, 1)
			_ = b.Sources()
		}
	})
}
