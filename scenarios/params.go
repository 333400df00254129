package scenarios

import (
	"fmt"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/strategies"
)

func reflectValue(sc *Scenario) reflect.Value { return reflect.ValueOf(sc).Elem() }

// readParam reads a parameter value written in a scenario as the Go type
// of its declared kind.
func readParam(p strategies.Param, n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("expected a single %s value", p.Kind)
	}
	s := n.Value
	switch p.Kind {
	case strategies.Int:
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %q", s)
		}
		return v, nil
	case strategies.Float:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number, got %q", s)
		}
		return v, nil
	case strategies.Duration:
		v, err := ParseDuration(s)
		if err != nil {
			return nil, err
		}
		return v, nil
	case strategies.Ratio:
		return ParseRatio(s)
	case strategies.Bool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", s)
		}
		return v, nil
	}
	return s, nil
}
