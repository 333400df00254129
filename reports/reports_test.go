package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

func TestFloatEncodesNaNAsNull(t *testing.T) {
	b, _ := json.Marshal([]Float{1.5, Float(math.NaN()), Float(math.Inf(1)), 1e-7})
	if string(b) != "[1.5,null,null,1e-07]" {
		t.Fatalf("got %s", b)
	}
	var back []Float
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(float64(back[1])) {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

func TestSeriesCSVHeaderEvenWhenEmpty(t *testing.T) {
	s := &metrics.Series{Interval: sim.Second, Columns: []metrics.Column{{Name: "a"}, {Name: "b"}}, Values: [][]float64{nil, nil}}
	var buf bytes.Buffer
	if err := WriteSeriesCSV(&buf, s); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "time_s,a,b\n" {
		t.Fatalf("empty series CSV = %q", buf.String())
	}
	s.Time = []float64{1, 2}
	s.Values = [][]float64{{0.5, math.NaN()}, {3, 4}}
	buf.Reset()
	WriteSeriesCSV(&buf, s)
	if buf.String() != "time_s,a,b\n1,0.5,3\n2,,4\n" {
		t.Fatalf("CSV = %q", buf.String())
	}
}

func TestFormatNum(t *testing.T) {
	for _, c := range []struct {
		x    float64
		sig  int
		want string
	}{{0.9001, 4, "0.9001"}, {385591.8, 4, "385592"}, {9.933, 4, "9.933"}, {0.0008895, 2, "0.00089"}, {1e-6, 2, "1.0e-06"}, {0, 4, "0"}} {
		if got := formatNum(c.x, c.sig); got != c.want {
			t.Errorf("formatNum(%g, %d) = %q, want %q", c.x, c.sig, got, c.want)
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"p2c": "p2c", "least request/2": "least%20request%2F2", "a_b": "a_b", "a b": "a%20b", "a/b": "a%2Fb",
		"..": "%2E.", ".": "%2E", "": "%", "50%": "50%25", "é": "%C3%A9"} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResultsRoundTrip writes a full results document, reads it back and
// writes it again: the bytes must match, so `tangle report` renders from
// exactly what `tangle run` computed.
func TestResultsRoundTrip(t *testing.T) {
	sc, err := scenarios.Parse("rt.yaml", []byte(`
name: rt
duration: 2m
replications: 2
topology:
  services: [{name: s, replicas: 2, service_time: {dist: exponential, mean: 50ms}}]
  clients: [{name: c, target: s, rate: 30/s, timeout: 100ms}]
faults:
  - {kind: crash, at: 30s, duration: 20s, target: {service: s, mode: one}}
  - {kind: pause, at: 90s, target: {names: [s-1]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	WriteJSON(&first, NewResults(res, Meta{Version: "t", Rerun: "r"}))
	doc, err := ReadResults(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	WriteJSON(&second, doc)
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatal("results document does not round-trip")
	}
	run := doc.Strategies[0].Runs[1]
	if len(run.Faults) != 2 || run.Faults[0].EndS != 50 || !math.IsNaN(float64(run.Faults[1].EndS)) || len(run.Series.Time) != 120 {
		t.Fatalf("run document %+v", run.Faults)
	}
	if _, err := ReadResults(bytes.NewReader([]byte(`{"schema_version": 99}`))); err == nil {
		t.Fatal("a future schema version was accepted")
	}
}
