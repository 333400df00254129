package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a scenario file (1-based line and column).
type Pos struct {
	Line, Col int
}

// Error is one problem with a scenario, at a position in its file:
// "file:line:col: key: what was expected (suggestion)".
type Error struct {
	File string
	Pos  Pos    // zero when the problem has no single place (a missing key)
	Path string // the key, as a dotted path: topology.services[0].replicas
	Msg  string // what was expected
	Hint string // a suggestion, e.g. "did you mean replicas?"
}

func (e *Error) Error() string { return escapeControls(e.text()) }

func (e *Error) text() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// ErrorList is every problem found in a scenario, in file order. Load
// returns all of them at once, so a user can fix a file in one pass.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l ErrorList) sorted() ErrorList {
	s := slices.Clone(l)
	slices.SortStableFunc(s, func(a, b *Error) int {
		if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Col, b.Pos.Col)
	})
	return s
}

// Suggest returns "did you mean X?" for the candidate closest to got by
// edit distance, or "" when none is close.
func Suggest(got string, candidates []string) string { return didYouMean(got, candidates) }

// didYouMean suggests the closest of candidates to got, or "".
func didYouMean(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(got), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(got)/3) {
		return ""
	}
	return "did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
