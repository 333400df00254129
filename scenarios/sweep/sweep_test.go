package sweep

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, c := range []struct {
		spec, env string
		want      Shard
		err       string
	}{
		{"", "", Shard{0, 1}, ""},
		{"1/4", "", Shard{1, 4}, ""},
		{"auto/4", "3", Shard{3, 4}, ""},
		{"auto/4", "", Shard{}, "JOB_COMPLETION_INDEX, which is not set"},
		{"4/4", "", Shard{}, "in [0, 4)"},
		{"x", "", Shard{}, "expected i/n"},
	} {
		got, err := ParseShard(c.spec, env(c.env))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
}
