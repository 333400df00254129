package routectl

// once wraps f so that only its first call runs it: a revert may be called
// both by its fault window's end and by the run's teardown.
func once(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// without is s less its first element equal to x, in a new array when x
// is found: a fault's revert takes back its own entry of a stack of
// effects, and nothing that still holds the old slice sees it change.
func without[T comparable](s []T, x T) []T {
	for i, y := range s {
		if y == x {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}
