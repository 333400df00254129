package scenarios

import "strings"

// validatePartial fills defaults and validates, also when decoding found
// problems, so a user sees every problem of a file at once rather than a
// second list after fixing the first. Values that failed to decode are
// left at their zero value, so validation problems at (or under, or
// above) a path that already has a decoding problem are dropped as
// consequences, as are those that validation of a half-decoded scenario
// could not reach without a panic.
func (sc *Scenario) validatePartial(d *decoder) {
	n := len(d.errs)
	if n == 0 || d.exhausted {
		if n == 0 {
			sc.defaults(d)
			sc.validate(d)
		}
		return
	}
	func() {
		defer func() {
			if recover() != nil {
				d.errs = d.errs[:n]
			}
		}()
		sc.defaults(d)
		sc.validate(d)
	}()
	bad := make([]string, 0, n)
	for _, e := range d.errs[:n] {
		bad = append(bad, e.Path)
	}
	kept := d.errs[:n]
	for _, e := range d.errs[n:] {
		if !consequence(e, bad) {
			kept = append(kept, e)
		}
	}
	d.errs = kept
}

// consequence reports whether a validation problem e may follow from a
// value that failed to decode: it is at, under or above one of bad, or it
// names one of them ("shorter than duration").
func consequence(e *Error, bad []string) bool {
	for _, b := range bad {
		if b == "" || e.Path == b || strings.HasPrefix(e.Path, b+".") || strings.HasPrefix(e.Path, b+"[") ||
			strings.HasPrefix(b, e.Path+".") || strings.HasPrefix(b, e.Path+"[") {
			return true
		}
		if !strings.ContainsAny(b, ".[") && strings.Contains(e.Msg, " "+b+" ") {
			return true
		}
	}
	return false
}
