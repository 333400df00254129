package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Writing outputs whole. A reader of an output never sees half of it and
// an interrupted write never destroys the previous one: a file is written
// beside its destination and renamed over it; a run's directory is written
// as a new directory and swapped in as a whole. Temporary files and
// directories are held locked while they are written, so one left behind
// by a killed process (unlocked) is recognised and removed by the next
// write to the same place, while one still being written is left alone.

// WriteFileAtomic writes data to path through a temporary file beside it.
// It refuses to replace anything but a regular file (a symlink such as
// /dev/stdout, a device, a directory): tangle never renames over those.
func WriteFileAtomic(path string, data []byte) error {
	if err := checkReplaceable(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	removeOrphans(dir, "."+base+".tmp-")
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	// The temporary file stays open, and so locked, until it has its
	// final name: an orphan sweep by another process leaves it alone.
	unlock := lockFile(f)
	defer f.Close()
	defer unlock()
	_, werr := f.Write(data)
	serr := f.Sync()
	merr := f.Chmod(0o644)
	if err := errors.Join(werr, serr, merr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// checkReplaceable refuses a destination that exists and is not a
// regular file.
func checkReplaceable(path string) error {
	st, err := os.Lstat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case st.IsDir():
		what = "a directory"
	case st.Mode()&os.ModeSymlink != 0:
		what = "a symbolic link"
	case st.Mode()&(os.ModeDevice|os.ModeCharDevice) != 0:
		what = "a device"
	}
	return &OutputError{Path: path, Msg: "is " + what + "; tangle only replaces regular files (write to a file path, or - for standard output)"}
}

// OutputError is an output path tangle will not write: a user error.
type OutputError struct {
	Path string
	Msg  string
}

func (e *OutputError) Error() string { return e.Path + ": " + e.Msg }

// ReplaceDir makes dir hold exactly what fill writes into an empty
// directory: fill writes into a new directory beside dir, which then
// takes dir's place, so stale files of an earlier run never remain and an
// interrupted run leaves the earlier directory as it was. An existing dir
// is only replaced if isOurs says it holds a previous output (or it is
// empty): tangle will not swap away a directory it did not write.
func ReplaceDir(dir string, isOurs func(dir string) bool, fill func(tmp string) error) error {
	dir = filepath.Clean(dir)
	if st, err := os.Lstat(dir); err == nil {
		if !st.IsDir() {
			return &OutputError{Path: dir, Msg: "exists and is not a directory"}
		}
		if !isOurs(dir) && !isEmptyDir(dir) {
			return &OutputError{Path: dir, Msg: "exists and does not hold tangle results; choose another directory, or empty it"}
		}
	}
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	removeOrphans(parent, "."+base+".tmp-")
	removeOrphans(parent, "."+base+".old-")
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	unlock, err := lockPath(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	defer unlock()
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = strings.Replace(tmp, ".tmp-", ".old-", 1)
		if err := os.Rename(dir, old); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir) // put the previous output back
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("replacing %s: %w (was it written by another tangle at the same time?)", dir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func isEmptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// removeOrphans removes entries of dir whose name starts with prefix and
// that no live process holds locked: temporary files and directories left
// by a killed write.
func removeOrphans(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if held(p) {
			continue
		}
		os.RemoveAll(p)
	}
}

// LockDir takes an exclusive lock on the directory dir (which must exist)
// for as long as this process writes into it; a second tangle writing to
// the same directory gets an error instead of mixing its outputs in.
func LockDir(dir string) (unlock func(), err error) {
	unlock, err = lockPath(dir)
	if errors.Is(err, errLocked) {
		return nil, &OutputError{Path: dir, Msg: "is in use by another tangle process; wait for it to finish, or use another directory"}
	}
	return unlock, err
}
