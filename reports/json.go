package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// SchemaVersion is the version of the summary JSON document. It changes
// only when a key is removed or changes meaning; new keys may appear
// within a version.
const SchemaVersion = 1

// Meta is what the program knows that the simulation does not: its own
// version and the command that reproduces the run.
type Meta struct {
	Version string // tool version
	Rerun   string // command line that reruns this exactly
}

// Summary is the summary JSON document. Field order and names are part of
// the schema (docs/results.md).
type Summary struct {
	SchemaVersion    int               `json:"schema_version"`
	Tool             Tool              `json:"tool"`
	Scenario         ScenarioInfo      `json:"scenario"`
	Seed             uint64            `json:"seed"`
	Replications     int               `json:"replications"`
	ReplicationSeeds []uint64          `json:"replication_seeds"`
	DurationS        float64           `json:"duration_s"`
	WarmupS          float64           `json:"warmup_s"`
	Strategies       []StrategySummary `json:"strategies"`
	// Verdict is "pass" when every check and SLO held, "fail" when one did
	// not, "none" when the scenario declares none.
	Verdict string     `json:"verdict"`
	Checks  []CheckDoc `json:"checks"`
	Rerun   string     `json:"rerun"`
}

// CheckDoc is the verdict of one check or SLO on one strategy.
type CheckDoc struct {
	Name      string     `json:"name"`            // as declared, or generated ("latency_p99 <= 5s")
	Kind      string     `json:"kind"`            // threshold, steady-state or slo
	Strategy  string     `json:"strategy"`        // the strategy it was evaluated on
	Phase     string     `json:"phase,omitempty"` // before, during or after the fault windows (steady-state)
	Metric    string     `json:"metric"`
	Op        string     `json:"op"` // <=, >=, <, >
	Threshold Float      `json:"threshold"`
	Value     Float      `json:"value"`
	Passed    bool       `json:"passed"`
	Detail    string     `json:"detail,omitempty"`
	Alerts    []AlertDoc `json:"alerts,omitempty"` // SLO burn-rate alert firings
	// Expected is "fail" when the strategy is declared expect: fail (a
	// contrast whose failures do not fail the run).
	Expected string `json:"expected,omitempty"`
}

// AlertDoc is one multi-window burn-rate alert of an SLO (SRE Workbook
// table 5-8) and when it fired.
type AlertDoc struct {
	Severity     string  `json:"severity"` // page or ticket
	LongWindowS  Float   `json:"long_window_s"`
	ShortWindowS Float   `json:"short_window_s"`
	BurnRate     Float   `json:"burn_rate"`
	FiredS       []Float `json:"fired_s"`     // start of each firing in replication 0, seconds into the run
	DetectionS   Float   `json:"detection_s"` // from the first fault (or budget burn) to the first firing, mean over the replications where it fired; null if it never fired
	// FiredRuns is how many replications it fired in; Runs has each
	// replication's firings and detection time.
	FiredRuns int           `json:"fired_runs"`
	Runs      []AlertRunDoc `json:"runs"`
}

// Tool identifies the program that produced a result.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Go      string `json:"go"`
}

// ScenarioInfo identifies the scenario.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Source      string `json:"source"`
	SHA256      string `json:"sha256"` // of the file, before overrides
	// Overrides are the --set path=value arguments applied to the file.
	Overrides []string `json:"overrides"`
}

// StrategySummary is one strategy's metrics, and in the full results
// document its runs.
type StrategySummary struct {
	Name    string            `json:"name"`
	Routing string            `json:"routing"`
	Load    string            `json:"load"`
	Params  map[string]string `json:"params"`
	Control map[string]string `json:"control,omitempty"` // control-plane strategies (with a state model)
	// From is the configuration file the strategy imported (from:), and
	// Imported each value it took, as "key = value ← source field".
	From     string                `json:"from,omitempty"`
	Imported []string              `json:"imported,omitempty"`
	Metrics  map[string]MetricStat `json:"metrics"`
	Runs     []RunDoc              `json:"runs,omitempty"`
}

// RunDoc is one replication of one strategy: its time series and the
// fault windows as they fired.
type RunDoc struct {
	Replication int        `json:"replication"`
	Seed        uint64     `json:"seed"`
	Events      uint64     `json:"events"`
	Series      *SeriesDoc `json:"series,omitempty"`
	Faults      []FaultDoc `json:"faults"`
	Audit       []AuditDoc `json:"audit,omitempty"` // decision audit trail, in time order
	Graph       *GraphDoc  `json:"graph,omitempty"` // the service graph and its series (scenarios with calls)
}

// GraphDoc is a run's service graph: its services and edges (the clients'
// entries first, then the calls between services), each with its series
// over the buckets of the run's series.
type GraphDoc struct {
	IntervalS float64        `json:"interval_s"`
	Time      []Float        `json:"time_s"`
	Services  []GraphFlowDoc `json:"services"`
	Edges     []GraphFlowDoc `json:"edges"`
}

// GraphFlowDoc is one service or edge of a graph and its series.
type GraphFlowDoc struct {
	Name     string           `json:"name"`
	From     string           `json:"from,omitempty"`
	To       string           `json:"to,omitempty"`
	Entry    bool             `json:"entry,omitempty"`
	Gateway  bool             `json:"gateway,omitempty"` // an entry through the region-picking edge; a service that is a declared edge gateway
	Replicas []string         `json:"replicas,omitempty"`
	Series   []GraphSeriesDoc `json:"series"`
}

// GraphSeriesDoc is one series of a service or an edge.
type GraphSeriesDoc struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Values []Float `json:"values"`
}

// Of returns the values of the named series, or nil.
func (f *GraphFlowDoc) Of(name string) []Float {
	for _, s := range f.Series {
		if s.Name == name {
			return s.Values
		}
	}
	return nil
}

func graphDoc(g *metrics.Graph) *GraphDoc {
	if g == nil {
		return nil
	}
	flows := func(fs []metrics.GraphFlow) []GraphFlowDoc {
		out := []GraphFlowDoc{}
		for _, f := range fs {
			d := GraphFlowDoc{Name: f.Name, From: f.From, To: f.To, Entry: f.Entry, Gateway: f.Gateway, Replicas: f.Replicas, Series: []GraphSeriesDoc{}}
			for _, s := range f.Series {
				d.Series = append(d.Series, GraphSeriesDoc{Name: s.Name, Unit: s.Unit, Values: floats(s.Values)})
			}
			out = append(out, d)
		}
		return out
	}
	return &GraphDoc{IntervalS: g.Interval.Seconds(), Time: floats(g.Time), Services: flows(g.Services), Edges: flows(g.Edges)}
}

// SeriesDoc is a run's fixed-interval time series: Time[k] is the end of
// bucket k in seconds, Values[name][k] the column's value over it.
type SeriesDoc struct {
	IntervalS float64            `json:"interval_s"`
	Columns   []ColumnDoc        `json:"columns"`
	Time      []Float            `json:"time_s"`
	Values    map[string][]Float `json:"values"`
}

// ColumnDoc names a series column and its unit, in display order.
type ColumnDoc struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
}

// FaultDoc is one firing of a fault.
type FaultDoc struct {
	Index   int      `json:"index"`
	Kind    string   `json:"kind"`
	Target  string   `json:"target"`
	Targets []string `json:"targets"`
	StartS  Float    `json:"start_s"`
	EndS    Float    `json:"end_s"` // null while active at the end of the run, or permanent
}

// MetricStat is one metric across replications, in SI units. Undefined
// values (a latency quantile of a run with no responses) are null.
type MetricStat struct {
	Unit    string  `json:"unit"`
	Better  string  `json:"better"`
	Mean    Float   `json:"mean"`
	StdDev  Float   `json:"stddev"`
	CI95Low Float   `json:"ci95_low"`
	CI95Hi  Float   `json:"ci95_high"`
	N       int     `json:"n"`
	Values  []Float `json:"values"`
}

// Float is a float64 that encodes NaN and infinities as JSON null.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler (null reads back as NaN).
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	*f = Float(x)
	return err
}

// NewSummary builds the summary document of a result.
func NewSummary(res *scenarios.Result, meta Meta) *Summary {
	sc := res.Scenario
	doc := &Summary{
		SchemaVersion:    SchemaVersion,
		Tool:             Tool{Name: "tangle", Version: meta.Version, Go: runtime.Version()},
		Scenario:         scenarioInfo(sc),
		Seed:             res.Seed,
		Replications:     res.Replications,
		ReplicationSeeds: res.Seeds,
		DurationS:        sc.Duration.T().Seconds(),
		WarmupS:          sc.Warmup.T().Seconds(),
		Rerun:            meta.Rerun,
		Verdict:          "none",
		Checks:           []CheckDoc{},
	}
	doc.Checks, doc.Verdict = checkDocs(res)
	for _, s := range res.Strategies {
		ss := StrategySummary{Name: s.Name, Routing: s.Routing, Load: s.Load, Params: formatParams(s.Params), Control: s.Control, Metrics: map[string]MetricStat{}}
		ss.From, ss.Imported = importedFrom(res.Scenario, s.Name)
		for name, st := range s.Metrics {
			ss.Metrics[name] = metricStat(name, st)
		}
		doc.Strategies = append(doc.Strategies, ss)
	}
	return doc
}

// NewResults builds the full results document: the summary plus every
// run's series and fault windows. `tangle report` renders from it.
func NewResults(res *scenarios.Result, meta Meta) *Summary {
	doc := NewSummary(res, meta)
	for i, s := range res.Strategies {
		for r, run := range s.Runs {
			doc.Strategies[i].Runs = append(doc.Strategies[i].Runs, runDoc(r, run))
		}
	}
	return doc
}

func runDoc(r int, run scenarios.RunResult) RunDoc {
	d := RunDoc{Replication: r, Seed: run.Seed, Events: run.Events, Faults: []FaultDoc{}}
	if s := run.Series; s != nil {
		sd := &SeriesDoc{IntervalS: s.Interval.Seconds(), Time: floats(s.Time), Values: map[string][]Float{}}
		for c, col := range s.Columns {
			sd.Columns = append(sd.Columns, ColumnDoc{Name: col.Name, Unit: col.Unit})
			sd.Values[col.Name] = floats(s.Values[c])
		}
		d.Series = sd
	}
	d.Graph = graphDoc(run.Graph)
	for _, a := range run.Audit {
		d.Audit = append(d.Audit, auditDoc(a))
	}
	for _, w := range run.Faults {
		end := Float(math.NaN())
		if w.End != sim.Never {
			end = Float(w.End.Seconds())
		}
		d.Faults = append(d.Faults, FaultDoc{Index: w.Index, Kind: w.Kind, Target: w.Target, Targets: w.Targets, StartS: Float(w.Start.Seconds()), EndS: end})
	}
	return d
}

func floats(xs []float64) []Float {
	out := make([]Float, len(xs))
	for i, x := range xs {
		out[i] = Float(x)
	}
	return out
}

// ReadResults reads a summary or full results document (as written by
// WriteJSON), checking its schema version.
func ReadResults(r io.Reader) (*Summary, error) {
	var doc Summary
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a tangle results document: %w", err)
	}
	if doc.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("results schema version %d; this tangle reads version %d", doc.SchemaVersion, SchemaVersion)
	}
	return &doc, nil
}

// scenarioInfo identifies a scenario and the overrides applied to it.
func scenarioInfo(sc *scenarios.Scenario) ScenarioInfo {
	info := ScenarioInfo{Name: sc.Name, Description: sc.Description, Source: sc.Source, SHA256: sc.Hash, Overrides: []string{}}
	for _, o := range sc.Overrides {
		info.Overrides = append(info.Overrides, o.Arg())
	}
	return info
}

func metricStat(name string, st metrics.Stat) MetricStat {
	def, _ := metrics.Describe(name)
	m := MetricStat{
		Unit: def.Unit, Better: def.Better.String(),
		Mean: Float(st.Mean), StdDev: Float(st.StdDev), CI95Low: Float(st.CILow), CI95Hi: Float(st.CIHigh), N: st.N,
	}
	for _, v := range st.Values {
		m.Values = append(m.Values, Float(v))
	}
	return m
}

func formatParams(p sim.Params) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		out[k] = sim.FormatValue(v)
	}
	return out
}

// WriteJSON writes doc as indented JSON with a trailing newline. Map keys
// are sorted, so equal documents are equal bytes.
func WriteJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
