package reports

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Charts are built with go-echarts' option types, then encoded by the page
// itself: every chart's option goes, with encoding/json's HTML escaping,
// into one inert <script type="application/json"> block that report.js
// reads. go-echarts' own templates write options unescaped
// (JSONNotEscaped) and strip "__f__" markers from the whole document, so a
// scenario or strategy name could end a <script> element or inject code
// through them; this way user strings only ever reach the page as escaped
// JSON or escaped HTML. Chart IDs are assigned in page order ("c1",
// "c2", …), never go-echarts' random ones, so equal documents render to
// equal bytes.

// palette colours strategies by their position, the same in every chart.
var palette = []string{"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

func strategyColor(i int) string { return palette[i%len(palette)] }

// faultColors ("r,g,b") shade fault windows by kind, in order of first
// appearance.
var faultColors = []string{"238,102,102", "230,160,30", "154,96,180", "60,150,200", "252,132,82", "120,120,120"}

// chartSpec is one chart as report.js receives it.
type chartSpec struct {
	ID     string         `json:"id"`
	Kind   string         `json:"kind"` // time, box, timeline, heatmap: how report.js formats axes and tooltips
	Unit   string         `json:"unit"` // SI unit of the value axis
	Option map[string]any `json:"option"`
}

// chartRef places a chart in the page.
type chartRef struct {
	ID     string
	Height int // px
	Title  string
}

// chartSet numbers and collects a page's charts.
type chartSet struct {
	specs []chartSpec
}

type echartsChart interface {
	Validate()
	JSON() map[string]interface{}
}

// add registers a chart built by go-echarts and returns where it goes.
func (cs *chartSet) add(kind, unit, title string, height int, c echartsChart) chartRef {
	id := fmt.Sprintf("c%d", len(cs.specs)+1)
	c.Validate()
	opt := c.JSON()
	cs.specs = append(cs.specs, chartSpec{ID: id, Kind: kind, Unit: unit, Option: opt})
	return chartRef{ID: id, Height: height, Title: title}
}

// json encodes every chart for the page; encoding/json escapes <, > and &
// so the result is safe inside a <script> element.
func (cs *chartSet) json() (string, error) {
	specs := cs.specs
	if specs == nil {
		specs = []chartSpec{}
	}
	b, err := json.Marshal(specs)
	return string(b), err
}

// chartID is the ID the next chart will get (go-echarts' Initialization).
func (cs *chartSet) nextID() string { return fmt.Sprintf("c%d", len(cs.specs)+1) }

// num is a plotted number: rounded to 5 significant digits, null when
// undefined.
func num(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return roundSig(x, 5)
}

// band is a shaded interval on a time axis: a fault window or the warmup.
type band struct {
	Name       string
	Start, End float64
	Color      string
	Fault      bool
}

// mark is a vertical line on a time axis: an alert firing.
type mark struct {
	Name string
	At   float64
}

// timeLine is one line of a time-series chart.
type timeLine struct {
	Name   string
	Color  string
	Dashed bool
	Area   bool   // fill below (stacked shares)
	Stack  string // stack group, "" for none
	X, Y   []float64
	Marks  []mark
}

// yRange bounds a value axis; nil bounds are automatic. Scale lets the
// axis leave out zero; Log makes it logarithmic (latencies spanning
// decades), where values ≤ 0 are not plotted.
type yRange struct {
	Min, Max any
	Scale    bool
	Log      bool
}

// axisName is the name shown on a value axis: the unit, unless report.js
// already writes it into every label (seconds, ratios, rates).
func axisName(unit string) string {
	switch unit {
	case "s", "ratio", "1/s":
		return ""
	}
	return unit
}

// legend and grid leave the title the top line and the legend the second,
// so neither covers the other whatever their lengths.
var (
	chartLegend = opts.Legend{Show: opts.Bool(true), Type: "scroll", Left: "0", Top: "22"}
	chartTitle  = func(t string) opts.Title {
		return opts.Title{Title: t, Left: "0", TitleStyle: &opts.TextStyle{FontSize: 14}}
	}
)

// timeChart is a line chart over the run's time axis, with bands shaded
// behind the lines. Times are given in seconds and plotted on an ECharts
// time axis in milliseconds from zero (UTC), which picks whole minutes,
// hours and days as ticks; report.js writes them as durations. (A time
// axis also makes ECharts stack lines by y: on a value axis it would stack
// the x values.)
func (cs *chartSet) timeChart(title, unit string, duration float64, yr yRange, lines []timeLine, bands []band) chartRef {
	id := cs.nextID()
	yType := "value"
	if yr.Log {
		yType = "log"
	}
	if n := axisName(unit); n != "" {
		title += " [" + n + "]"
	}
	l := charts.NewLine()
	l.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(chartTitle(title)),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(chartLegend),
		// a fixed left margin lines every time chart's axis up with the others
		charts.WithGridOpts(opts.Grid{Left: "76", Right: "24", Top: "58", Bottom: "52"}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", FilterMode: "none"}, opts.DataZoom{Type: "slider", FilterMode: "none"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Min: 0, Max: num(duration * 1e3), SplitLine: &opts.SplitLine{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: yType, Min: yr.Min, Max: yr.Max, Scale: opts.Bool(yr.Scale)}),
	)
	if len(bands) > 0 {
		// The bands hang on a series of their own, so hiding a strategy
		// through the legend keeps them.
		var areas []interface{}
		for _, b := range bands {
			areas = append(areas, []any{
				map[string]any{"name": b.Name, "xAxis": num(b.Start * 1e3), "itemStyle": map[string]any{"color": b.Color}},
				map[string]any{"xAxis": num(b.End * 1e3)},
			})
		}
		name := "warmup"
		for _, b := range bands {
			if b.Fault {
				name = "fault windows"
			}
		}
		l.AddSeries(name, nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Color = "rgba(238,102,102,0.5)"
			s.Data = []any{}
			s.MarkAreas = &opts.MarkAreas{Data: areas, MarkAreaStyle: opts.MarkAreaStyle{
				Label: &opts.Label{Show: opts.Bool(true), Position: "insideTopLeft", Color: "#888", FontSize: 10},
			}}
		}))
	}
	for _, ln := range lines {
		data := make([]any, len(ln.X))
		for i := range ln.X {
			y := num(ln.Y[i])
			if yr.Log && ln.Y[i] <= 0 {
				y = nil
			}
			data[i] = []any{num(ln.X[i] * 1e3), y}
		}
		l.AddSeries(ln.Name, nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Data = data
			s.Color = ln.Color
			s.ShowSymbol = opts.Bool(false)
			s.Symbol = "none"
			s.Stack = ln.Stack
			style := &opts.LineStyle{Width: 1.5, Color: ln.Color}
			if ln.Dashed {
				style.Type = "dashed"
			}
			s.LineStyle = style
			if ln.Area {
				s.AreaStyle = &opts.AreaStyle{Color: ln.Color, Opacity: opts.Float(0.55)}
			}
			if len(ln.Marks) > 0 {
				var ms []interface{}
				for _, m := range ln.Marks {
					ms = append(ms, map[string]any{"name": m.Name, "xAxis": num(m.At * 1e3)})
				}
				s.MarkLines = &opts.MarkLines{Data: ms, MarkLineStyle: opts.MarkLineStyle{
					Symbol:    []string{"none", "triangle"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", FontSize: 10, Color: ln.Color},
					LineStyle: &opts.LineStyle{Color: ln.Color, Type: "dotted", Width: 1.5},
				}}
			}
		}))
	}
	ref := cs.add("time", unit, title, 320, l)
	cs.specs[len(cs.specs)-1].Option["useUTC"] = true
	return ref
}

// boxChart draws one metric's distribution across replications, a box
// per strategy ([min, Q1, median, Q3, max]) with the replications' values
// as dots over it.
func (cs *chartSet) boxChart(title, unit string, names []string, boxes [][5]float64, values [][]float64) chartRef {
	id := cs.nextID()
	b := charts.NewBoxPlot()
	b.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: title, Left: "0", TitleStyle: &opts.TextStyle{FontSize: 13}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "40", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: axisName(unit), Scale: opts.Bool(true)}),
	)
	b.SetXAxis(names)
	items := make([]opts.BoxPlotData, len(boxes))
	var dots []any
	for i, bx := range boxes {
		v := make([]any, 5)
		for k := range bx {
			v[k] = num(bx[k])
		}
		items[i] = opts.BoxPlotData{Name: names[i], Value: v, ItemStyle: &opts.ItemStyle{BorderColor: strategyColor(i), Color: "rgba(255,255,255,0.6)"}}
		for _, x := range values[i] {
			if !math.IsNaN(x) {
				dots = append(dots, []any{i, num(x)})
			}
		}
	}
	b.AddSeries("replications", items)
	scatter := charts.NewScatter()
	scatter.AddSeries("replication values", nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		s.Data = dots
		s.SymbolSize = 5
		s.Color = "rgba(60,60,60,0.55)"
	}))
	b.Overlap(scatter)
	return cs.add("box", unit, title, 240, b)
}

// timelineRow is one fault of the timeline and its windows.
type timelineRow struct {
	Label   string
	Color   string
	Windows [][2]float64
}

// timelineChart draws fault windows as horizontal bars on the time axis,
// one row per fault: stacked bars whose gaps are transparent.
func (cs *chartSet) timelineChart(duration float64, rows []timelineRow) chartRef {
	id := cs.nextID()
	depth := 0
	for _, r := range rows {
		depth = max(depth, len(r.Windows))
	}
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.Label
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "16", Right: "24", Top: "12", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Min: 0, Max: duration, MinInterval: niceStep(duration), MaxInterval: niceStep(duration)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: labels, Inverse: opts.Bool(true)}),
	)
	for k := 0; k < depth; k++ {
		gap := make([]any, len(rows))
		on := make([]any, len(rows))
		for i, r := range rows {
			gap[i], on[i] = 0, 0
			if k < len(r.Windows) {
				prevEnd := 0.0
				if k > 0 {
					prevEnd = r.Windows[k-1][1]
				}
				gap[i] = num(r.Windows[k][0] - prevEnd)
				on[i] = map[string]any{"value": num(r.Windows[k][1] - r.Windows[k][0]), "itemStyle": map[string]any{"color": r.Color}}
			}
		}
		bar.AddSeries(fmt.Sprintf("gap %d", k), nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Data, s.Stack = gap, "faults"
			s.ItemStyle = &opts.ItemStyle{Color: "transparent"} // report.js makes gaps silent
		}))
		bar.AddSeries("active", nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.Data, s.Stack = on, "faults"
			s.BarMaxWidth = "18"
		}))
	}
	return cs.add("timeline", "s", "fault timeline", 40+28*max(len(rows), 2), bar)
}

// niceSteps are tick steps in seconds that read well as durations.
var niceSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// niceStep is the smallest nice step giving at most 10 ticks over d seconds.
func niceStep(d float64) float64 {
	for _, s := range niceSteps {
		if d/s <= 10 {
			return s
		}
	}
	return math.Ceil(d/10/86400/28) * 28 * 86400
}

// heatCell is one cell of a sweep heatmap.
type heatCell struct {
	X, Y     int
	Value    float64
	Feasible bool
}

// heatmapChart draws a sweep's objective over two parameters: feasible
// cells coloured by value (lower is greener when lower is better),
// infeasible ones grey.
func (cs *chartSet) heatmapChart(title, unit, xName, yName string, xs, ys []string, cells []heatCell, lowerBetter bool) chartRef {
	id := cs.nextID()
	lo, hi := math.Inf(1), math.Inf(-1)
	var ok, bad []any
	for _, c := range cells {
		item := []any{c.X, c.Y, num(c.Value)}
		if c.Feasible {
			ok = append(ok, item)
			if !math.IsNaN(c.Value) {
				lo, hi = math.Min(lo, c.Value), math.Max(hi, c.Value)
			}
		} else {
			bad = append(bad, item)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	// the y name sits beside the widest value label (about 7 px a rune)
	yGap := 0
	for _, y := range ys {
		yGap = max(yGap, len([]rune(y)))
	}
	yGap = 14 + 7*yGap
	colors := []string{"#1a9850", "#fee08b", "#d73027"}
	if !lowerBetter {
		colors = []string{"#d73027", "#fee08b", "#1a9850"}
	}
	h := charts.NewHeatMap()
	h.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(chartTitle(title)),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "28", Right: "110", Top: "40", Bottom: "40", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 28, Data: xs, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: yName, NameLocation: "middle", NameGap: yGap, Data: ys, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
	)
	h.AddSeries("feasible", nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		s.Data = ok
		s.Label = &opts.Label{Show: opts.Bool(true), FontSize: 11}
	}))
	h.AddSeries("infeasible", nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		s.Data = bad
		s.ItemStyle = &opts.ItemStyle{Color: "#d0d0d0"}
		s.Label = &opts.Label{Show: opts.Bool(true), FontSize: 11, Color: "#666"}
	}))
	ref := cs.add("heatmap", unit, title, 80+44*max(len(ys), 3), h)
	// go-echarts' VisualMap keeps min and max as float32 and drops a zero
	// min; the exact range, applied to the feasible series only, is set on
	// the option itself.
	cs.specs[len(cs.specs)-1].Option["visualMap"] = []any{map[string]any{
		"type": "continuous", "calculable": true, "orient": "vertical", "right": 0, "top": "middle",
		"min": num(lo), "max": num(hi), "seriesIndex": 0, "inRange": map[string]any{"color": colors},
	}}
	return ref
}
