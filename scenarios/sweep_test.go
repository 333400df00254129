package scenarios

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestParseSweepParam(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"a.b=1,2,3", []string{"1", "2", "3"}, ""},
		{"a=1..3/1", []string{"1", "2", "3"}, ""},
		{"a=0.1..0.3/0.1", []string{"0.1", "0.2", "0.3"}, ""},
		{"a=1s..3s/500ms", []string{"1s", "1.5s", "2s", "2.5s", "3s"}, ""},
		{"a=1%..3%/1%", []string{"1%", "2%", "3%"}, ""},
		{"a={dist: exponential, mean: 1s},5ms", []string{"{dist: exponential, mean: 1s}", "5ms"}, ""},
		{"s[p2c].params.choices=2,3", []string{"2", "3"}, ""},
		{"a=3..1/1", nil, "the range is empty"},
		{"a=1..3", nil, "lo..hi/step"},
		{"a=1..3/0", nil, "step must be positive"},
		{"a=1s..3/1", nil, "bounds and step must all be"},
		{"a=1,,2", nil, "empty value"},
	} {
		p, err := ParseSweepParam(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(p.Values, c.want) {
			t.Errorf("%s: %v %v, want %v", c.in, p.Values, err, c.want)
		}
	}
}

func TestSweepGrid(t *testing.T) {
	ps := []SweepParam{{Path: "a", Values: []string{"1", "2"}}, {Path: "b", Values: []string{"x", "y", "z"}}}
	g, _ := SweepGrid(ps, false)
	if len(g) != 6 || !slices.Equal(g[0], []string{"1", "x"}) || !slices.Equal(g[5], []string{"2", "z"}) {
		t.Errorf("Cartesian grid %v", g)
	}
	if _, err := SweepGrid(ps, true); err == nil {
		t.Error("zip of unequal lists accepted")
	}
	ps[0].Values = append(ps[0].Values, "3")
	g, _ = SweepGrid(ps, true)
	if len(g) != 3 || !slices.Equal(g[2], []string{"3", "z"}) {
		t.Errorf("zipped grid %v", g)
	}
}

// TestSweepGridCountedBeforeBuilt: a 10,000 × 10,000 grid (10^8 cells)
// exhausted memory being built before its size was checked.
func TestSweepGridCountedBeforeBuilt(t *testing.T) {
	a, err := ParseSweepParam("a=1..10000/1")
	if err != nil {
		t.Fatal(err)
	}
	b := a
	b.Path = "b"
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	if _, err := SweepGrid([]SweepParam{a, b}, false); err == nil || !strings.Contains(err.Error(), "more than 100000 cells") {
		t.Fatalf("got %v", err)
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew > 1<<20 {
		t.Errorf("refusing the grid allocated %d bytes", grew)
	}
}
