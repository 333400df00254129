package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/configimport"
)

var importCmd = &command{
	name:    "import",
	summary: "Print the strategy block equivalent to real configuration files (Envoy, Istio, Kubernetes, Flagger, Argo Rollouts), each value with the field it came from.",
	usage:   "[--name NAME] FILE...",
	examples: `  tangle import envoy-cluster.yaml                # an Envoy Cluster (and its RouteConfiguration, after ---)
  tangle import destination-rule.yaml --name mesh  # an Istio DestinationRule and VirtualService
  tangle import canary.yaml                        # a Flagger Canary's analysis as a rollout
  # in a scenario, the same import without retyping: strategies: [{name: prod, from: envoy-cluster.yaml}]`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		name := fs.String("name", "", "the strategy's name (default: the file's base name)")
		return func(args []string) error {
			if len(args) == 0 {
				return usagef("tangle import: expected at least one configuration file")
			}
			var bad []string
			for i, arg := range args {
				b, err := configimport.ImportFile(arg)
				if err != nil {
					var ie *configimport.Error
					if !errors.As(err, &ie) {
						err = fmt.Errorf("%s: %v", arg, err)
					}
					fmt.Fprintln(a.stderr, err)
					bad = append(bad, arg)
					continue
				}
				n := *name
				if n == "" {
					n = strings.TrimSuffix(filepath.Base(arg), filepath.Ext(arg))
				}
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				fmt.Fprint(a.stdout, b.YAML(n))
				for _, w := range b.Warnings {
					fmt.Fprintln(a.stderr, w)
				}
			}
			if len(bad) > 0 {
				return usagef("tangle import: %d of %d files could not be imported", len(bad), len(args))
			}
			return nil
		}
	},
}

// printWarnings writes the scenario's import warnings to stderr.
func (a *app) printWarnings(sc *scenarios.Scenario) {
	for _, w := range sc.Warnings {
		fmt.Fprintln(a.stderr, w)
	}
}
