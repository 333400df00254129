package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/tangle-sim/tangle/reports"
)

// userIOError recognises a failed file operation on a path the user gave
// (a missing directory, a read-only one, a full disk): a user error with
// exit code 2, not a bug. It returns the message to print.
func userIOError(err error) (string, bool) {
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	var oe *reports.OutputError
	if errors.As(err, &oe) {
		return oe.Error(), true
	}
	if !errors.As(err, &pe) && !errors.As(err, &le) && !errors.As(err, &se) {
		return "", false
	}
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		msg += " (the disk is full: free some space or write elsewhere)"
	case errors.Is(err, syscall.EROFS):
		msg += " (the file system is read-only: write elsewhere)"
	case errors.Is(err, fs.ErrPermission):
		msg += " (permission denied: write somewhere you may, or fix the directory's permissions)"
	}
	return msg, true
}

// checkWritable creates and removes a probe file in dir (creating dir),
// so a path that cannot be written is reported before a long simulation
// rather than after it.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tangle-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// physicalMemory is the machine's memory in bytes (MemTotal of
// /proc/meminfo), or 0 where it cannot be read.
func physicalMemory() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%g kB", &kb); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
