package scenarios_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/configimport"
	"github.com/tangle-sim/tangle/sim"
)

// TestFromImportsEveryFormat: a strategy's from: takes its parameters from
// an Envoy, Istio, Kubernetes, Flagger or Argo Rollouts file; the scenario
// validates with them, keys the strategy writes itself win, and every
// unmodelled field is a warning positioned at the from: key and in the
// imported file.
func TestFromImportsEveryFormat(t *testing.T) {
	sc, err := scenarios.Load("testdata/imports/all.yaml")
	require.NoError(t, err)
	byName := map[string]*scenarios.Strategy{}
	for i := range sc.Strategies {
		s := &sc.Strategies[i]
		byName[s.Name] = s
		require.NotNil(t, s.Imported(), s.Name)
		require.NotEmpty(t, s.Imported().Sources(), s.Name)
	}
	envoy, p2 := byName["envoy"], byName["envoy-p2"]
	require.Equal(t, "least-request", envoy.Routing)
	require.Equal(t, int64(3), envoy.ParamValues().Int("choices"))
	require.Equal(t, 1.5, envoy.ParamValues().Float("active_request_bias"))
	require.Equal(t, sim.Minute, envoy.ParamValues().Duration("slow_start_window"))
	require.InDelta(t, 0.4, float64(*envoy.PanicThreshold), 1e-12)
	// Written keys win; the rest is still imported.
	require.Equal(t, int64(2), p2.ParamValues().Int("choices"))
	require.Equal(t, 1.5, p2.ParamValues().Float("active_request_bias"))
	require.Len(t, p2.Guards, 2, "the written outlier-detection guard replaces the imported one; the circuit breaker is added")
	require.Equal(t, "outlier-detection", p2.Guards[0].Guard)
	require.Equal(t, "envoy-circuit-breaker", p2.Guards[1].Guard)

	// A written routing keeps the file's guards and retries but not the
	// imported picker's parameters, and says so.
	rr := byName["envoy-rr"]
	require.Equal(t, "round-robin", rr.Routing)
	require.Len(t, rr.Guards, 2)
	require.Contains(t, strings.Join(sc.Warnings, "\n"), "strategies[2].from: warning: routing round-robin is written in the scenario, so the file's least-request parameters are not imported")

	require.Equal(t, "least-request", byName["istio"].Routing)
	require.InDelta(t, 0, float64(*byName["istio"].PanicThreshold), 1e-12, "Istio disables panic mode with outlier detection")
	require.Equal(t, "flagger", byName["flagger"].Rollout.Kind)
	require.Equal(t, "argo-canary", byName["argo"].Rollout.Kind)
	require.Equal(t, "deployment", byName["rolling"].Rollout.Kind)

	warned := map[string]bool{}
	for _, w := range sc.Warnings {
		if strings.Contains(w, "is written in the scenario") {
			continue
		}
		require.Regexp(t, `^testdata/imports/all\.yaml:\d+:\d+: strategies\[\d\]\.from: configimport/testdata/[a-z-]+\.yaml:\d+:\d+: warning: `, w)
		warned[importedFile.FindStringSubmatch(w)[1]] = true
	}
	for _, f := range []string{"envoy-cluster", "istio", "deployment", "flagger-canary", "argo-rollout"} {
		require.True(t, warned[f], "no warning for %s", f)
	}
}

var importedFile = regexp.MustCompile(`configimport/testdata/([a-z-]+)\.yaml:`)

// TestFromErrorsArePositioned: a missing file and a value the real system
// rejects are scenario errors at the from: key.
func TestFromErrorsArePositioned(t *testing.T) {
	_, err := scenarios.Load("testdata/imports/missing.yaml")
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "testdata/imports/missing.yaml:7:21: strategies[0].from: open testdata/imports/no-such-file.yaml: no such file or directory")
	require.Contains(t, msg, "testdata/imports/missing.yaml:8:21: strategies[1].from: configimport/testdata/errors/envoy-choice-count.yaml:5:3: Envoy Cluster rejected:")
}

// TestImportBlockEqualsFrom: the block tangle import prints, pasted into a
// scenario, configures the strategy exactly as from: the same file does.
func TestImportBlockEqualsFrom(t *testing.T) {
	base, err := os.ReadFile("testdata/imports/all.yaml")
	require.NoError(t, err)
	head := string(base[:strings.Index(string(base), "strategies:")])
	for _, f := range []string{"envoy-cluster", "istio", "deployment", "flagger-canary", "argo-rollout"} {
		t.Run(f, func(t *testing.T) {
			file := "../../configimport/testdata/" + f + ".yaml"
			b, err := configimport.ImportFile(filepath.Join("testdata/imports", file))
			require.NoError(t, err)
			src := head + "strategies:\n" + indent(b.YAML("pasted")) + "  - {name: via-from, from: " + file + "}\n"
			sc, err := scenarios.Parse("testdata/imports/pasted.yaml", []byte(src))
			require.NoError(t, err, src)
			p, v := sc.Strategies[0], sc.Strategies[1]
			require.Equal(t, v.Routing, p.Routing)
			require.Equal(t, v.ParamValues(), p.ParamValues())
			require.Equal(t, v.PanicThreshold, p.PanicThreshold)
			require.Equal(t, raw(v.Retries), raw(p.Retries))
			require.Equal(t, len(v.Guards), len(p.Guards))
			for i := range v.Guards {
				require.Equal(t, v.Guards[i].Guard, p.Guards[i].Guard)
				require.Equal(t, raw(v.Guards[i].Params), raw(p.Guards[i].Params))
			}
			if v.Rollout != nil {
				require.Equal(t, v.Rollout.Kind, p.Rollout.Kind)
				require.Equal(t, raw(v.Rollout.Params), raw(p.Rollout.Params))
			}
		})
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
	}
	return b.String()
}

func raw(p scenarios.RawParams) map[string]string {
	out := map[string]string{}
	for k, n := range p {
		out[k] = n.Value
	}
	return out
}

// TestImportedFilesInTheHash: the scenario's hash (the manifest's, and what
// sweep resume checks) covers the files its strategies import, so editing
// the Envoy cluster a strategy comes from is a different scenario.
func TestImportedFilesInTheHash(t *testing.T) {
	dir := t.TempDir()
	cluster, err := os.ReadFile("configimport/testdata/envoy-cluster.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cluster.yaml"), cluster, 0o644))
	base, err := os.ReadFile("testdata/imports/all.yaml")
	require.NoError(t, err)
	src := string(base[:strings.Index(string(base), "strategies:")]) + "strategies:\n  - {name: prod, from: cluster.yaml}\n"
	parse := func() string {
		sc, err := scenarios.Parse(filepath.Join(dir, "s.yaml"), []byte(src))
		require.NoError(t, err)
		return sc.Hash
	}
	before := parse()
	require.Equal(t, before, parse(), "the same files hash the same")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cluster.yaml"), append(cluster, []byte("\n# edited\n")...), 0o644))
	require.NotEqual(t, before, parse(), "an edited imported file must change the scenario's hash")
}

// TestFromImportsHPA: an imported HorizontalPodAutoscaler becomes the
// strategy's hpa autoscaling entry for its scale target (or the one
// service with max_replicas), with the strategy's own keys winning, and
// the world it builds runs that autoscaler.
func TestFromImportsHPA(t *testing.T) {
	sc, err := scenarios.Load("testdata/imports/hpa.yaml")
	require.NoError(t, err)
	entry := func(i int) *scenarios.AutoscalingUse {
		require.Len(t, sc.Strategies[i].Autoscaling, 1, sc.Strategies[i].Name)
		return &sc.Strategies[i].Autoscaling[0]
	}
	walk := entry(0)
	require.Equal(t, "api", walk.Service)
	require.Equal(t, "hpa", walk.Autoscaler)
	require.Equal(t, int64(10), walk.ParamValues().Int("max_replicas"))
	require.InDelta(t, 0.5, walk.ParamValues().Float("target_utilization"), 1e-12)
	require.Equal(t, 300*sim.Second, walk.ParamValues().Duration("scale_down_stabilization"), "Kubernetes' default")
	require.Contains(t, strings.Join(sc.Warnings, "\n"), `strategies[0].from: warning: the HorizontalPodAutoscaler scales "php-apache", which is not a service here; it is applied to api`)

	beh := entry(1).ParamValues()
	require.Equal(t, "inflight", beh.String("metric"))
	require.InDelta(t, 3, beh.Float("target_inflight"), 1e-12)
	require.Equal(t, int64(2), beh.Int("min_replicas"))
	require.Equal(t, "min", beh.String("scale_down_select"))
	require.Equal(t, int64(4), beh.Int("scale_down_pods"))
	require.Equal(t, int64(10), beh.Int("scale_down_percent"))
	require.Equal(t, 60*sim.Second, beh.Duration("scale_down_stabilization"))
	require.Equal(t, int64(0), beh.Int("scale_up_pods"), "the scaleUp policy list replaces the defaults")
	require.Equal(t, int64(100), beh.Int("scale_up_percent"))

	edited := entry(2).ParamValues()
	require.Equal(t, int64(3), edited.Int("min_replicas"), "written keys win")
	require.Equal(t, int64(20), edited.Int("max_replicas"), "the rest is imported")

	kn := entry(3)
	require.Equal(t, "kpa", kn.Autoscaler)
	require.Equal(t, int64(0), kn.ParamValues().Int("min_replicas"), "no HPA parameter reaches another autoscaler: Knative's own default")

	b, err := sc.Build(1, 1)
	require.NoError(t, err)
	require.Equal(t, 2, b.World.Services[0].Provisioned)
	require.Equal(t, 0, b.World.ScaleEvents(b.World.Services[0]), "autoscaled, not yet scaled")
}
