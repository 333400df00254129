package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/sim"
)

func reflectValue(sc *Scenario) reflect.Value { return reflect.ValueOf(sc).Elem() }

// readParams reads a component's parameters as written in the file, each
// as the type its declaration gives, fills the defaults, and reports every
// problem at the value's position. owner names the component in messages
// ("routing least-request"). It reports whether every value was good.
func readParams(d *decoder, path, owner string, set sim.ParamSet, raw RawParams) (sim.Params, bool) {
	vals := sim.Params{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ok := true
	for _, k := range keys {
		kp := join(path, k)
		pd, found := set.Lookup(k)
		if !found {
			takes := "no parameters"
			if len(set) > 0 {
				takes = "parameters " + strings.Join(set.Names(), ", ")
			}
			d.errorPath(kp, didYouMean(k, set.Names()), "%s has no parameter %q; it takes %s", owner, k, takes)
			ok = false
			continue
		}
		v, err := readParam(pd, raw[k])
		if err == nil {
			err = pd.Check(v)
		}
		if err != nil {
			msg := err.Error()
			if pe, isPE := err.(*sim.ParamError); isPE {
				msg = pe.Msg
			}
			hint := ""
			if pd.Kind == sim.Duration && raw[k].Kind == yaml.ScalarNode {
				hint = durationHint(raw[k].Value)
			}
			d.errorPath(kp, hint, "%s", msg)
			ok = false
			continue
		}
		vals[k] = v
	}
	if !ok {
		return nil, false
	}
	full, err := set.Complete(vals)
	if err != nil {
		d.errorPath(path, "", "%v", err)
		return nil, false
	}
	return full, true
}

// readParam reads a parameter value written in a scenario as the Go type
// of its declared kind.
func readParam(p sim.Param, n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("expected a single %s value", p.Kind)
	}
	s := n.Value
	switch p.Kind {
	case sim.Int:
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %q", s)
		}
		return v, nil
	case sim.Float:
		v, err := parseNumber(s)
		if err != nil {
			return nil, fmt.Errorf("expected a finite number, got %q", s)
		}
		return v, nil
	case sim.Duration:
		v, err := ParseDuration(s)
		if err != nil {
			return nil, err
		}
		if err := checkSpan(v); err != nil {
			return nil, err
		}
		return v, nil
	case sim.Ratio:
		return ParseRatio(s)
	case sim.Bool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", s)
		}
		return v, nil
	}
	return s, nil
}
