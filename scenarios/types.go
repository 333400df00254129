package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Duration is a span of virtual time written in Go syntax ("250ms", "1m30s"),
// with "d" for days ("3d", "1d12h") as an extension.
type Duration sim.Time

// T returns d as a sim.Time.
func (d Duration) T() sim.Time { return sim.Time(d) }

func (d Duration) String() string { return formatDuration(sim.Time(d)) }

func (d *Duration) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, "a duration")
	if !ok {
		return
	}
	t, err := ParseDuration(s)
	if err != nil {
		dec.errorAt(n, path, durationHint(s), "%v", err)
		return
	}
	if err := checkSpan(t); err != nil {
		dec.errorAt(n, path, "", "%v", err)
		return
	}
	*d = Duration(t)
}

var daysPrefix = regexp.MustCompile(`^(\d+(?:\.\d+)?)d`)

// ParseDuration parses a Go duration, also accepting a leading day count
// ("3d", "1d12h"). A bare number is an error: the unit is required (except
// for 0).
func ParseDuration(s string) (sim.Time, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	var days float64
	if m := daysPrefix.FindStringSubmatch(body); m != nil {
		days, _ = strconv.ParseFloat(m[1], 64)
		body = body[len(m[0]):]
	}
	var rest time.Duration
	if body != "" {
		var err error
		if rest, err = time.ParseDuration(body); err != nil {
			return 0, fmt.Errorf("expected a duration such as 250ms, 10s, 5m or 3d, got %q", s)
		}
	} else if days == 0 {
		return 0, fmt.Errorf("expected a duration such as 250ms, 10s, 5m or 3d, got %q", s)
	}
	if days*86400 >= (sim.Never - sim.Time(rest)).Seconds() {
		return 0, fmt.Errorf("%q is too long: durations are at most %s (292 years)", s, formatDuration(sim.Never/sim.Second*sim.Second))
	}
	t := sim.Time(rest) + sim.Seconds(days*86400)
	if neg {
		t = -t
	}
	return t, nil
}

// checkSpan refuses a duration longer than any run can hold (100 years,
// sim.MaxDraw): added to a time within a run it would overflow.
func checkSpan(t sim.Time) error {
	if t > sim.MaxDraw || t < -sim.MaxDraw {
		return fmt.Errorf("%s is longer than 100 years, the longest span a run can hold", formatDuration(t))
	}
	return nil
}

func durationHint(s string) string {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return "a unit is required: write " + s + "s for seconds or " + s + "ms for milliseconds"
	}
	return ""
}

// formatDuration renders t as a scenario file would write it, without
// zero units: "5d", "1h", "1m30s", "1d12h", "250ms".
func formatDuration(t sim.Time) string {
	if t < 0 {
		return "-" + formatDuration(-t)
	}
	if t < sim.Second {
		return time.Duration(t).String()
	}
	var b strings.Builder
	for _, u := range []struct {
		d    sim.Time
		name string
	}{{24 * sim.Hour, "d"}, {sim.Hour, "h"}, {sim.Minute, "m"}} {
		if n := t / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			t -= n * u.d
		}
	}
	if t > 0 {
		b.WriteString(strconv.FormatFloat(t.Seconds(), 'f', -1, 64))
		b.WriteString("s")
	}
	return b.String()
}

// Rate is an arrival rate in requests per second, written "90/s",
// "5400/min" or "2/h".
type Rate float64

var rateUnits = map[string]float64{
	"s": 1, "sec": 1, "second": 1,
	"m": 60, "min": 60, "minute": 60,
	"h": 3600, "hour": 3600,
}

func (r *Rate) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, "a rate")
	if !ok {
		return
	}
	v, err := ParseRate(s)
	if err != nil {
		hint := ""
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			hint = "write " + s + "/s for a rate per second"
		}
		dec.errorAt(n, path, hint, "%v", err)
		return
	}
	*r = Rate(v)
}

// ParseRate parses "N/unit" (unit s, min or h) into requests per second.
func ParseRate(s string) (float64, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("expected a rate such as 90/s, 5400/min or 2/h, got %q", s)
	}
	v, err := parseNumber(strings.TrimSpace(num))
	per, known := rateUnits[strings.TrimSpace(unit)]
	if err != nil || !known {
		return 0, fmt.Errorf("expected a rate such as 90/s, 5400/min or 2/h (a finite number), got %q", s)
	}
	return v / per, nil
}

func (r Rate) String() string { return strconv.FormatFloat(float64(r), 'g', -1, 64) + "/s" }

// Ratio is a fraction in [0, 1], written 0.05 or "5%".
type Ratio float64

func (r *Ratio) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, "a ratio")
	if !ok {
		return
	}
	v, err := ParseRatio(s)
	if err != nil {
		dec.errorAt(n, path, "", "%v", err)
		return
	}
	*r = Ratio(v)
}

// ParseRatio parses 0.05 or "5%" (the range is checked by validation).
func ParseRatio(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		p = strings.TrimSpace(p)
		if _, err := parseNumber(p); err != nil {
			return 0, fmt.Errorf("expected a percentage such as 5%%, got %q", s)
		}
		// Shift the decimal point in the text, so 99.9% reads as the
		// double nearest 0.999 (99.9/100 would be 0.9990000000000001).
		if v, err := strconv.ParseFloat(p+"e-2", 64); err == nil {
			return v, nil
		}
		v, _ := strconv.ParseFloat(p, 64)
		return v / 100, nil
	}
	v, err := parseNumber(s)
	if err != nil {
		return 0, fmt.Errorf("expected a ratio such as 0.05 or a percentage such as 5%%, got %q", s)
	}
	return v, nil
}

// QueueCap is a replica's queue capacity: "unbounded" or a count.
type QueueCap int

func (q *QueueCap) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, "a queue capacity")
	if !ok {
		return
	}
	if s == "unbounded" {
		*q = topology.Unbounded
		return
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		dec.errorAt(n, path, "", "expected unbounded or a non-negative number of waiting requests, got %q", s)
		return
	}
	*q = QueueCap(v)
}

func (q QueueCap) String() string {
	if q == topology.Unbounded {
		return "unbounded"
	}
	return strconv.Itoa(int(q))
}

// Dist is a distribution of durations. Written as a bare duration it is a
// constant; otherwise a mapping with `dist:` naming the family and its
// parameters:
//
//	service_time: 20ms                                 # constant
//	service_time: {dist: exponential, mean: 1s}
//	service_time: {dist: lognormal, median: 20ms, sigma: 0.5}
type Dist struct {
	sim.Dist
	Text string // as written, for messages and manifests
}

// distFamily declares one distribution family: its parameters (durations
// unless listed in unitless) and how to build it.
type distFamily struct {
	name     string
	params   []string // every accepted parameter
	unitless []string // parameters that are plain numbers
	help     string
	build    func(p map[string]float64, has func(string) bool) (sim.Dist, error)
}

var distFamilies = []distFamily{
	{name: "constant", params: []string{"value"}, help: "value",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if p["value"] < 0 {
				return nil, fmt.Errorf("value must not be negative")
			}
			return sim.Constant{V: p["value"]}, nil
		}},
	{name: "exponential", params: []string{"mean"}, help: "mean",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if !(p["mean"] > 0) {
				return nil, fmt.Errorf("mean must be positive")
			}
			return sim.Exponential{M: p["mean"]}, nil
		}},
	{name: "uniform", params: []string{"min", "max"}, help: "min, max",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if p["min"] < 0 || p["max"] < p["min"] {
				return nil, fmt.Errorf("need 0 ≤ min ≤ max")
			}
			return sim.Uniform{Min: p["min"], Max: p["max"]}, nil
		}},
	{name: "normal", params: []string{"mean", "stddev"}, help: "mean, stddev (negative draws become 0)",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if p["stddev"] < 0 {
				return nil, fmt.Errorf("stddev must not be negative")
			}
			return sim.Normal{Mu: p["mean"], Sigma: p["stddev"]}, nil
		}},
	{name: "lognormal", params: []string{"median", "sigma", "mean", "stddev"}, unitless: []string{"sigma"},
		help: "median and sigma (of the log), or mean and stddev",
		build: func(p map[string]float64, has func(string) bool) (sim.Dist, error) {
			switch {
			case has("median") && has("sigma") && !has("mean") && !has("stddev"):
				if !(p["median"] > 0) || p["sigma"] < 0 {
					return nil, fmt.Errorf("need median > 0 and sigma ≥ 0")
				}
				return sim.LogNormal{Mu: math.Log(p["median"]), Sigma: p["sigma"]}, nil
			case has("mean") && has("stddev") && !has("median") && !has("sigma"):
				if !(p["mean"] > 0) || !(p["stddev"] > 0) {
					return nil, fmt.Errorf("need mean > 0 and stddev > 0")
				}
				return sim.LogNormalMeanStdDev(p["mean"], p["stddev"]), nil
			}
			return nil, fmt.Errorf("give either median and sigma, or mean and stddev")
		}},
	{name: "pareto", params: []string{"scale", "shape"}, unitless: []string{"shape"}, help: "scale (the minimum), shape (alpha)",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if !(p["scale"] > 0) || !(p["shape"] > 0) {
				return nil, fmt.Errorf("need scale > 0 and shape > 0")
			}
			return sim.Pareto{Xm: p["scale"], Alpha: p["shape"]}, nil
		}},
	{name: "weibull", params: []string{"scale", "shape"}, unitless: []string{"shape"}, help: "scale (lambda), shape (k)",
		build: func(p map[string]float64, _ func(string) bool) (sim.Dist, error) {
			if !(p["scale"] > 0) || !(p["shape"] > 0) {
				return nil, fmt.Errorf("need scale > 0 and shape > 0")
			}
			return sim.Weibull{K: p["shape"], Lambda: p["scale"]}, nil
		}},
	{name: "empirical", params: []string{"values", "weights"}, help: "values (a list of durations), optional weights"},
}

// DistNames lists the distribution families, for messages and docs.
func DistNames() []string {
	var n []string
	for _, f := range distFamilies {
		n = append(n, f.name)
	}
	return n
}

func (d *Dist) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		t, err := ParseDuration(n.Value)
		if err != nil {
			dec.errorAt(n, path, durationHint(n.Value)+joinHint(durationHint(n.Value), "or a mapping such as {dist: exponential, mean: 1s}"), "%v", err)
			return
		}
		if t < 0 {
			dec.errorAt(n, path, "", "a duration must not be negative, got %s", n.Value)
			return
		}
		*d = Dist{Dist: sim.Constant{V: t.Seconds()}, Text: n.Value}
		return
	}
	if n.Kind != yaml.MappingNode {
		dec.errorAt(n, path, "", "expected a duration or a distribution such as {dist: exponential, mean: 1s}")
		return
	}
	pairs := dec.mappingPairs(n, path)
	var fam *distFamily
	for _, kv := range pairs {
		if kv[0].Value == "dist" {
			name := kv[1].Value
			i := slices.IndexFunc(distFamilies, func(f distFamily) bool { return f.name == name })
			if i < 0 {
				dec.errorAt(kv[1], join(path, "dist"), didYouMean(name, DistNames()), "unknown distribution %q; expected one of %s", name, strings.Join(DistNames(), ", "))
				return
			}
			fam = &distFamilies[i]
		}
	}
	if fam == nil {
		dec.errorAt(n, join(path, "dist"), "", "is required: the distribution family (%s)", strings.Join(DistNames(), ", "))
		return
	}
	vals := map[string]float64{}
	set := map[string]bool{}
	var list, weights []float64
	bad := false
	for _, kv := range pairs {
		k, v := kv[0], resolve(kv[1])
		key := k.Value
		if key == "dist" {
			continue
		}
		kp := join(path, key)
		if !slices.Contains(fam.params, key) {
			dec.errorAt(k, kp, didYouMean(key, fam.params), "%s distribution has no parameter %q; it takes %s", fam.name, key, fam.help)
			bad = true
			continue
		}
		set[key] = true
		if fam.name == "empirical" {
			xs, ok := dec.numberList(v, kp, key == "values")
			if !ok {
				bad = true
			}
			if key == "values" {
				list = xs
			} else {
				weights = xs
			}
			continue
		}
		s, ok := dec.scalar(v, kp, "a value")
		if !ok {
			bad = true
			continue
		}
		if slices.Contains(fam.unitless, key) {
			f, err := parseNumber(s)
			if err != nil {
				dec.errorAt(v, kp, "", "expected a finite number, got %q", s)
				bad = true
				continue
			}
			vals[key] = f
			continue
		}
		t, err := ParseDuration(s)
		if err != nil {
			dec.errorAt(v, kp, durationHint(s), "%v", err)
			bad = true
			continue
		}
		vals[key] = t.Seconds()
	}
	if bad {
		return
	}
	var dist sim.Dist
	var err error
	if fam.name == "empirical" {
		if list == nil {
			err = fmt.Errorf("needs values: a list of durations")
		} else {
			dist, err = sim.NewEmpirical(list, weights)
		}
	} else {
		for _, p := range fam.params {
			if !set[p] && fam.name != "lognormal" {
				dec.errorAt(n, join(path, p), "", "is required for a %s distribution (it takes %s)", fam.name, fam.help)
				bad = true
			}
		}
		if bad {
			return
		}
		dist, err = fam.build(vals, func(k string) bool { return set[k] })
	}
	if err != nil {
		dec.errorAt(n, path, "", "%s distribution: %v", fam.name, err)
		return
	}
	if tail := sim.Tail(dist); !(tail < sim.MaxDraw.Seconds()) {
		dec.errorAt(n, path, tailHints[fam.name], "%s distribution: one draw in a billion exceeds 100 years (it reaches %.3g s), longer than any run can represent", fam.name, tail)
		return
	}
	*d = Dist{Dist: dist, Text: dist.String()}
}

// tailHints say what to change when a distribution's tail is too long.
var tailHints = map[string]string{
	"exponential": "lower the mean",
	"uniform":     "lower max",
	"normal":      "lower mean or stddev",
	"lognormal":   "lower sigma (a latency's is usually below 2) or the median",
	"pareto":      "raise shape (a heavy tail's is usually 1 to 3) or lower scale",
	"weibull":     "raise shape or lower scale",
	"empirical":   "lower the largest value",
}

// numberList decodes a list of durations (seconds) or plain numbers.
func (dec *decoder) numberList(n *yaml.Node, path string, durations bool) ([]float64, bool) {
	if n.Kind != yaml.SequenceNode {
		dec.errorAt(n, path, "", "expected a list")
		return nil, false
	}
	var out []float64
	for i, item := range n.Content {
		s, ok := dec.scalar(resolve(item), index(path, i), "a value")
		if !ok {
			return nil, false
		}
		if durations {
			t, err := ParseDuration(s)
			if err != nil {
				dec.errorAt(item, index(path, i), durationHint(s), "%v", err)
				return nil, false
			}
			out = append(out, t.Seconds())
			continue
		}
		f, err := parseNumber(s)
		if err != nil {
			dec.errorAt(item, index(path, i), "", "expected a finite number, got %q", s)
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

func joinHint(a, b string) string {
	if a == "" {
		return b
	}
	return "; " + b
}

// RawParams are a strategy's parameters as written, kept as YAML nodes
// until the strategy is known and each value can be read as its declared
// type (and reported at its own position).
type RawParams map[string]*yaml.Node

func (p *RawParams) decodeYAML(dec *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		dec.errorAt(n, path, "", "expected a mapping of parameter names to values")
		return
	}
	*p = RawParams{}
	for _, kv := range dec.mappingPairs(n, path) {
		(*p)[kv[0].Value] = resolve(kv[1])
		dec.pos[join(path, kv[0].Value)] = posOf(kv[1])
	}
}
