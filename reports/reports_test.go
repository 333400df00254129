package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
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
	for in, want := range map[string]string{"p2c": "p2c", "least request/2": "least_request_2", "..": "_", "": "_"} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}
