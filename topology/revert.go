package topology

import "slices"

// Reverts: a fault's inject returns a function that takes its effect back.
// These two helpers are shared by the core and its layers.

// Once wraps f so that only its first call runs it: a revert may be called
// both by its fault window's end and by the run's teardown.
func Once(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// Without is s less its first element equal to x, in a new array when x
// is found: a fault's revert takes back its own entry of a stack of
// effects, and nothing that still holds the old slice sees it change.
func Without[T comparable](s []T, x T) []T {
	if i := slices.Index(s, x); i >= 0 {
		return append(s[:i:i], s[i+1:]...)
	}
	return s
}
