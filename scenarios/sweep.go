package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/sim"
)

// SweepParam is one swept scenario value: a path (as --set takes) and the
// values it takes, as written.
type SweepParam struct {
	Path   string
	Values []string
}

// maxSweepValues bounds one parameter's list, so a typo in a range
// (1..1000000/1) is an error rather than a very long sweep.
const maxSweepValues = 10000

// ParseSweepParam reads "path=v1,v2,…" or "path=lo..hi/step". Values of a
// list are separated by commas outside braces and brackets, so a value
// may be a flow mapping ({dist: exponential, mean: 1s}). A range counts
// from lo to hi inclusive in steps of step; its bounds are numbers,
// durations (1s..5s/500ms) or percentages (1%..5%/1%), all three of the
// same kind.
func ParseSweepParam(s string) (SweepParam, error) {
	o, err := ParseOverride(s)
	if err != nil {
		return SweepParam{}, err
	}
	p := SweepParam{Path: o.Path}
	v := strings.TrimSpace(o.Value)
	if lo, rest, ok := strings.Cut(v, ".."); ok && !strings.ContainsAny(v, "{[,") {
		hi, step, ok := strings.Cut(rest, "/")
		if !ok {
			return p, fmt.Errorf("%s: a range is written lo..hi/step, such as 1..8/1 or 1s..5s/500ms", s)
		}
		p.Values, err = expandRange(strings.TrimSpace(lo), strings.TrimSpace(hi), strings.TrimSpace(step))
		if err != nil {
			return p, fmt.Errorf("%s: %v", s, err)
		}
		return p, nil
	}
	p.Values = splitTop(v)
	for _, x := range p.Values {
		if x == "" {
			return p, fmt.Errorf("%s: empty value in the list", s)
		}
	}
	if len(p.Values) > maxSweepValues {
		return p, fmt.Errorf("%s: %d values; at most %d per parameter", s, len(p.Values), maxSweepValues)
	}
	return p, nil
}

// splitTop splits s at commas that are not inside {} or [].
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// expandRange lists lo, lo+step, … ≤ hi, formatted as the bounds were.
func expandRange(lo, hi, step string) ([]string, error) {
	type kind struct {
		parse  func(string) (float64, error)
		format func(float64) string
	}
	kinds := []kind{
		{parseNumber,
			func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }},
		{func(s string) (float64, error) {
			if !strings.HasSuffix(s, "%") {
				return 0, fmt.Errorf("not a percentage")
			}
			return parseNumber(strings.TrimSuffix(s, "%"))
		}, func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) + "%" }},
		{func(s string) (float64, error) {
			t, err := ParseDuration(s)
			return float64(t), err
		}, func(x float64) string { return Duration(sim.Time(math.Round(x))).String() }},
	}
	for _, k := range kinds {
		a, e1 := k.parse(lo)
		b, e2 := k.parse(hi)
		st, e3 := k.parse(step)
		if e1 != nil || e2 != nil || e3 != nil {
			continue
		}
		if !(st > 0) {
			return nil, fmt.Errorf("the step must be positive")
		}
		if b < a {
			return nil, fmt.Errorf("the range is empty: %s > %s", lo, hi)
		}
		n := math.Floor((b-a)/st+1e-9) + 1
		if n > maxSweepValues {
			return nil, fmt.Errorf("%g values; at most %d per parameter", n, maxSweepValues)
		}
		var out []string
		for i := 0; i < int(n); i++ {
			x := a + float64(i)*st
			// Round away binary noise (0.1+0.2) at 12 significant digits.
			if x != 0 {
				mag := math.Pow(10, 12-math.Ceil(math.Log10(math.Abs(x))))
				x = math.Round(x*mag) / mag
			}
			out = append(out, k.format(x))
		}
		return out, nil
	}
	return nil, fmt.Errorf("bounds and step must all be numbers (1..8/1), percentages (1%%..5%%/1%%) or durations (1s..5s/500ms)")
}

// SweepGrid lists the combinations of values of params: every combination
// (Cartesian product, the first parameter varying slowest) or, zipped, the
// i-th value of each parameter together (all lists must be equally long).
func SweepGrid(params []SweepParam, zip bool) ([][]string, error) {
	if len(params) == 0 {
		return [][]string{nil}, nil
	}
	if zip {
		n := len(params[0].Values)
		for _, p := range params[1:] {
			if len(p.Values) != n {
				return nil, fmt.Errorf("--zip needs every parameter to have as many values: %s has %d, %s has %d", params[0].Path, n, p.Path, len(p.Values))
			}
		}
		out := make([][]string, n)
		for i := range out {
			for _, p := range params {
				out[i] = append(out[i], p.Values[i])
			}
		}
		return out, nil
	}
	// Count the cells before building any: a 10,000 × 10,000 grid must be
	// refused, not built and then refused.
	cells := 1
	for _, p := range params {
		cells *= max(len(p.Values), 1)
		if cells > maxSweepValues*10 {
			return nil, fmt.Errorf("the grid has more than %d cells; sweep fewer values or use --zip", maxSweepValues*10)
		}
	}
	out := [][]string{nil}
	for _, p := range params {
		var next [][]string
		for _, prefix := range out {
			for _, v := range p.Values {
				next = append(next, append(append([]string(nil), prefix...), v))
			}
		}
		out = next
	}
	return out, nil
}

// ParseValue reads a value written in a metric's unit: a duration for
// seconds ("s"), a ratio or percentage for "ratio", else a number.
func ParseValue(unit, s string) (float64, error) { return parseThreshold(unit, strings.TrimSpace(s)) }
