package topology

import (
	"testing"

	"pgregory.net/rapid"
)

// TestLoadCountsSameAsDense: the sparse table gives the same counts as one
// count per replica through any sequence of adds (counts never negative),
// across growth, backward-shift deletion and the switch to dense; once
// dense, the kept least count and its ties are the counts' own.
func TestLoadCountsSameAsDense(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 300).Draw(t, "replicas")
		c := sparseLoadCounts(n)
		oracle := make([]int32, n)
		steps := rapid.IntRange(0, 400).Draw(t, "steps")
		denseAt := rapid.IntRange(-1, steps).Draw(t, "dense at")
		histAt := rapid.IntRange(denseAt, steps).Draw(t, "hist at")
		for s := 0; s < steps; s++ {
			if s == denseAt {
				d := c.makeDense()
				for h := range oracle {
					if d[h] != oracle[h] {
						t.Fatalf("dense count of %d: %d, want %d", h, d[h], oracle[h])
					}
				}
			}
			if s == histAt && c.dense != nil {
				c.startHist()
			}
			h := int32(rapid.IntRange(0, n-1).Draw(t, "host"))
			d := int32(1)
			if oracle[h] > 0 && rapid.Bool().Draw(t, "end") {
				d = -1
			}
			c.add(h, d)
			oracle[h] += d
			for k := range oracle {
				if got := c.get(int32(k)); got != oracle[k] {
					t.Fatalf("step %d: count of %d is %d, want %d", s, k, got, oracle[k])
				}
			}
			if c.hist != nil {
				least, ties := oracle[0], 0
				for _, v := range oracle {
					switch {
					case v < least:
						least, ties = v, 1
					case v == least:
						ties++
					}
				}
				if c.least != least || int(c.hist[least]) != ties {
					t.Fatalf("step %d: least %d with %d ties, want %d with %d", s, c.least, c.hist[c.least], least, ties)
				}
			}
			if c.dense == nil {
				live := 0
				for _, v := range oracle {
					if v != 0 {
						live++
					}
				}
				if c.used != live {
					t.Fatalf("step %d: %d slots in use, want %d", s, c.used, live)
				}
			}
		}
	})
}
