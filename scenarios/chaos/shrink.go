package chaos

import (
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// Shrink reduces a failing schedule with domain-aware steps, each kept
// only while fails still holds: drop a fault, shorten a window, narrow a
// target, lower a parameter toward its default or its lower bound. It
// repeats until no step applies or budget evaluations of fails are spent
// (0: no limit), so the result is 1-minimal in faults: removing any one of
// them makes fails false (unless the budget ran out first). fails is
// called on candidate schedules only, never on fs itself.
func Shrink(fs []scenarios.Fault, fails func([]scenarios.Fault) bool, budget int) []scenarios.Fault {
	cur := slices.Clone(fs)
	spent := 0
	try := func(c []scenarios.Fault) bool {
		if budget > 0 && spent >= budget {
			return false
		}
		spent++
		if fails(c) {
			cur = c
			return true
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		// Drop a fault (the biggest step first).
		for i := 0; i < len(cur) && len(cur) > 1; i++ {
			if try(slices.Delete(slices.Clone(cur), i, i+1)) {
				changed, i = true, -1
			}
		}
		for i := range cur {
			for _, step := range []func(scenarios.Fault) []scenarios.Fault{shorten, narrow, lower} {
				for progress := true; progress; {
					progress = false
					for _, f := range step(cur[i]) {
						c := slices.Clone(cur)
						c[i] = f
						if try(c) {
							changed, progress = true, true
							break
						}
					}
				}
			}
		}
		if budget > 0 && spent >= budget {
			break
		}
	}
	return cur
}

// shorten halves a fault's window (whole seconds, at least one).
func shorten(f scenarios.Fault) []scenarios.Fault {
	d := f.Duration.T()
	if d <= sim.Second {
		return nil
	}
	f.Duration = scenarios.Duration(max(sim.Second, d/2/sim.Second*sim.Second))
	return []scenarios.Fault{f}
}

// narrow hits fewer targets: all → 50% → one; a percentage halves.
func narrow(f scenarios.Fault) []scenarios.Fault {
	t := f.Target
	switch {
	case t.Mode == "" || t.Mode == "all":
		t.Mode, t.Value = "percent", 50
	case t.Mode == "percent" && t.Value > 10:
		t.Value = float64(int(t.Value/2/10) * 10)
		if t.Value < 10 {
			t.Mode, t.Value = "one", 0
		}
	case t.Mode == "percent" || (t.Mode == "count" && t.Value > 1):
		t.Mode, t.Value = "one", 0
	default:
		return nil
	}
	f.Target = t
	return []scenarios.Fault{f}
}

// lower moves each explicit parameter toward its default: it drops the
// parameter (the default), or halves its distance to the lower end of its
// range. It returns the candidates in that order, parameter by parameter.
func lower(f scenarios.Fault) []scenarios.Fault {
	def, ok := faults.Lookup(f.Kind)
	if !ok || len(f.Params) == 0 {
		return nil
	}
	names := make([]string, 0, len(f.Params))
	for k := range f.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []scenarios.Fault
	with := func(name string, v *yaml.Node) {
		params := scenarios.RawParams{}
		for k, x := range f.Params {
			if k != name {
				params[k] = x
			}
		}
		if v != nil {
			params[name] = v
		}
		if len(params) == 0 {
			params = nil
		}
		if validParams(def, params) {
			g := f
			g.Params = params
			out = append(out, g)
		}
	}
	for _, name := range names {
		p, ok := def.Params.Lookup(name)
		if !ok {
			continue
		}
		with(name, nil)
		if v, lowered := halve(p, f.Params[name].Value); lowered {
			with(name, &yaml.Node{Kind: yaml.ScalarNode, Value: v})
		}
	}
	return out
}

// halve returns a numeric parameter's value moved halfway toward the
// lower end of its range (false when it is there already or not numeric).
func halve(p sim.Param, text string) (string, bool) {
	lo, _ := ParamRange(p)
	switch p.Kind {
	case sim.Float, sim.Ratio:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil || x-lo < 1e-3 {
			return "", false
		}
		y := round3(lo+(x-lo)/2, lo, x)
		return strconv.FormatFloat(y, 'g', -1, 64), y < x
	case sim.Int:
		x, err := strconv.ParseInt(text, 10, 64)
		if err != nil || float64(x) <= lo {
			return "", false
		}
		return strconv.FormatInt(int64(lo)+(x-int64(lo))/2, 10), true
	case sim.Duration:
		t, err := scenarios.ParseDuration(text)
		if err != nil || t.Seconds()-lo < 1e-3 {
			return "", false
		}
		ms := (t - sim.Seconds(lo)) / 2 / sim.Millisecond * sim.Millisecond
		return (sim.Seconds(lo) + ms).String(), sim.Seconds(lo)+ms < t
	}
	return "", false
}

// validParams reports whether raw parameter texts build the kind.
func validParams(def *faults.Def, raw scenarios.RawParams) bool {
	vals := def.Params.Defaults()
	for k, n := range raw {
		p, ok := def.Params.Lookup(k)
		if !ok {
			return false
		}
		v, err := parseParam(p, n.Value)
		if err != nil {
			return false
		}
		vals[k] = v
	}
	_, err := def.Build(vals)
	return err == nil
}

func parseParam(p sim.Param, s string) (any, error) {
	switch p.Kind {
	case sim.Int:
		return strconv.ParseInt(s, 10, 64)
	case sim.Float:
		return strconv.ParseFloat(s, 64)
	case sim.Ratio:
		return scenarios.ParseRatio(s)
	case sim.Duration:
		return scenarios.ParseDuration(s)
	case sim.Bool:
		return strconv.ParseBool(s)
	}
	return s, nil
}
