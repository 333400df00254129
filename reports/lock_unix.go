//go:build unix

package reports

import (
	"errors"
	"os"
	"syscall"
)

var errLocked = errors.New("locked by another process")

// lockPath takes a non-blocking exclusive flock on path (a file or a
// directory). The lock dies with the process, however it ends.
func lockPath(path string) (func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}

// lockFile locks an open file; the lock is released by the returned
// function or when the file is closed.
func lockFile(f *os.File) func() {
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return func() {}
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
}

// held reports whether another process holds a lock on path.
func held(path string) bool {
	unlock, err := lockPath(path)
	if err != nil {
		return errors.Is(err, errLocked)
	}
	unlock()
	return false
}
