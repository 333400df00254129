//go:build !unix

package reports

import (
	"errors"
	"os"
	"time"
)

// Without flock, locks are not taken; orphans are only recognised by age.

var errLocked = errors.New("locked by another process")

func lockPath(string) (func(), error) { return func() {}, nil }

func lockFile(*os.File) func() { return func() {} }

func held(path string) bool {
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) < time.Hour
}
