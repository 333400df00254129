package data

import "strconv"

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

func itoa(i int) string { return strconv.Itoa(i) }
