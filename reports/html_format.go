package reports

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tangle-sim/tangle/metrics"
)

// displayUnit picks how to show values of an SI unit whose typical
// magnitude is m: the label and the factor to multiply by. Seconds become
// ms or µs below one second, ratios become percentages.
func displayUnit(unit string, m float64) (label string, scale float64) {
	m = math.Abs(m)
	switch unit {
	case "s":
		switch {
		case m == 0 || math.IsNaN(m) || m >= 1:
			return "s", 1
		case m >= 1e-3:
			return "ms", 1e3
		}
		return "µs", 1e6
	case "ratio":
		return "%", 100
	case "1/s":
		return "/s", 1
	}
	return unit, 1
}

// rowScale is the display unit of a table row: chosen from the median of
// the finite values, so one row reads in one unit.
func rowScale(unit string, xs []float64) (string, float64) {
	var fin []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			fin = append(fin, math.Abs(x))
		}
	}
	if len(fin) == 0 {
		return displayUnit(unit, 0)
	}
	slices.Sort(fin)
	return displayUnit(unit, fin[len(fin)/2])
}

// formatQuantity writes x of an SI unit with its display unit, e.g.
// "89.8 ms", "99.9%", "3.6/s".
func formatQuantity(x float64, unit string) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	label, scale := displayUnit(unit, x)
	s := formatNum(x*scale, 4)
	switch label {
	case "":
		return s
	case "%", "/s":
		return s + label
	}
	return s + " " + label
}

// formatMeanCI writes a metric's mean ± its 95% half-width, scaled.
func formatMeanCI(m MetricStat, scale float64) string {
	mean := float64(m.Mean)
	if m.N == 0 || math.IsNaN(mean) {
		return "—"
	}
	s := formatNum(mean*scale, 4)
	hw := float64(m.CI95Hi) - mean
	if m.N >= 2 && !math.IsNaN(hw) && !math.IsInf(hw, 0) {
		s += " ± " + formatNum(hw*scale, 2)
	}
	return s
}

// formatSeconds writes a time in seconds compactly: "45s", "2m30s",
// "1h", "3d4h".
func formatSeconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "—"
	}
	if math.Abs(s) < 1 && s != 0 {
		return formatQuantity(s, "s")
	}
	neg := s < 0
	d := time.Duration(math.Round(math.Abs(s)*1e3)) * time.Millisecond
	var out string
	if days := d / (24 * time.Hour); days > 0 {
		out = strconv.Itoa(int(days)) + "d"
		d -= days * 24 * time.Hour
		if d >= time.Hour {
			out += strconv.Itoa(int(d/time.Hour)) + "h"
		}
	} else {
		out = d.String()
		// 5m0s → 5m, 1h0m0s → 1h
		for _, suffix := range []string{"m0s", "h0m"} {
			if strings.HasSuffix(out, suffix) {
				out = strings.TrimSuffix(out, suffix[1:])
			}
		}
	}
	if neg {
		out = "-" + out
	}
	return out
}

// direction is a metric's direction from the catalogue, or from the
// document when the catalogue of this build does not know the metric.
func direction(name, better string) metrics.Direction {
	if def, ok := metrics.Lookup(name); ok {
		return def.Better
	}
	switch better {
	case "higher":
		return metrics.Higher
	case "lower":
		return metrics.Lower
	}
	return metrics.Neutral
}

// bestOf is the index of the best of the means by direction d, or -1 for
// neutral metrics, undefined values and ties for best.
func bestOf(means []float64, d metrics.Direction) int {
	if d == metrics.Neutral || len(means) < 2 {
		return -1
	}
	best := -1
	for i, m := range means {
		if math.IsNaN(m) {
			continue
		}
		if best < 0 || d.Better(m, means[best]) {
			best = i
		}
	}
	for i, m := range means {
		if best >= 0 && i != best && m == means[best] {
			return -1
		}
	}
	return best
}

// roundSig rounds x to sig significant digits, which keeps plotted data
// (and the file) small without a visible change.
func roundSig(x float64, sig int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', sig, 64), 64)
	return r
}
