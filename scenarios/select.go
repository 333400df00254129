package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Select returns a copy of sc with only the named strategies, in the order
// named; no names keeps them all. Replication seeds do not depend on the
// strategies, so a selection keeps common random numbers.
func (sc *Scenario) Select(names []string) (*Scenario, error) {
	if len(names) == 0 {
		return sc, nil
	}
	var all []string
	for _, s := range sc.Strategies {
		all = append(all, s.Name)
	}
	out := *sc
	out.Strategies = nil
	for _, n := range names {
		i := slices.Index(all, n)
		if i < 0 {
			hint := ""
			if s := didYouMean(n, all); s != "" {
				hint = " (" + s + ")"
			}
			return nil, fmt.Errorf("no strategy %q in %s%s; it has %s", n, sc.Name, hint, strings.Join(all, ", "))
		}
		if slices.ContainsFunc(out.Strategies, func(s Strategy) bool { return s.Name == n }) {
			return nil, fmt.Errorf("%q is named twice", n)
		}
		out.Strategies = append(out.Strategies, sc.Strategies[i])
	}
	return &out, nil
}

// ShellQuote quotes s for a POSIX shell when it needs it, for the rerun
// commands tangle prints.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RerunArgs are the flags that reproduce a run of sc exactly: every
// override, the strategy selection, the seed and the replications.
func RerunArgs(sc *Scenario, strategies []string, seed uint64, reps int) string {
	var b strings.Builder
	for _, o := range sc.Overrides {
		b.WriteString(" --set ")
		b.WriteString(ShellQuote(o.Arg()))
	}
	if len(strategies) > 0 {
		b.WriteString(" --strategies ")
		b.WriteString(ShellQuote(strings.Join(strategies, ",")))
	}
	fmt.Fprintf(&b, " --seed %d --replications %d", seed, reps)
	return b.String()
}
