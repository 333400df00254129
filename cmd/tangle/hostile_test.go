package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/scenarios"
)

// okScenario is a small valid scenario the hostile cases break one way.
const okScenario = `name: ok
duration: 10s
topology:
  services: [{name: api, service_time: 10ms}]
  clients: [{name: users, target: api, rate: 10/s}]
`

// TestHostileInputs: inputs that used to crash tangle, hang it, exhaust
// memory or be silently misread now get a clear error and exit code 2.
// Each case writes its files into a fresh directory ($DIR in args).
func TestHostileInputs(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  string // in stderr
	}{
		{"latin-1 file", map[string]string{"s.yaml": "name: caf\xe9\nduration: 1s\n"},
			[]string{"validate", "$DIR/s.yaml"}, "s.yaml:1:10: byte 0xe9 is not UTF-8 text"},
		{"NUL byte", map[string]string{"s.yaml": "name: a\x00b\n"},
			[]string{"validate", "$DIR/s.yaml"}, "s.yaml:1:8: the file contains a NUL byte"},
		{"binary file", map[string]string{"s.yaml": "\x7fELF\x02\x01\x01\x00\x00"},
			[]string{"run", "$DIR/s.yaml"}, "s.yaml:1:1: control character U+007F"},
		{"escape code in a name", map[string]string{"s.yaml": strings.Replace(okScenario, "name: api", `name: "api\e[2J"`, 1)},
			[]string{"validate", "$DIR/s.yaml"}, `contains control character U+001B`},
		{"escape code in an unknown key", map[string]string{"s.yaml": okScenario + "\"x\\e[31m\": 1\n"},
			[]string{"validate", "$DIR/s.yaml"}, `x\x1b[31m: unknown key`},
		{"--set with an empty value", nil,
			[]string{"run", "mm1", "--set", "topology.clients[0].rate="}, "has no value: write topology.clients[0].rate=null to reset it"},
		{"negative --workers", nil,
			[]string{"run", "mm1", "--workers", "-5"}, "--workers must be at least 1"},
		{"rate 1e12/s", nil,
			[]string{"run", "mm1", "--set", "topology.clients[0].rate=1e12/s"}, "this run would take about"},
		{"a billion replications", nil,
			[]string{"run", "mm1", "--replications", "1000000000"}, "run fewer replications"},
		{"overload beyond memory even with --allow-large", nil,
			[]string{"run", "mm1", "--allow-large", "--set", "topology.clients[0].rate=1e12/s"}, "bound the queues"},
		{"a self-merging --set value", nil,
			[]string{"validate", "mm1", "--set", "topology.telemetry=&a {<<: *a}"}, "merge key (<<) merges a mapping that contains it"},
		{"sweep of a missing file", nil,
			[]string{"sweep", "$DIR/missing.yaml", "--param", "seed=1"}, "no such file"},
		{"a directory as the scenario", map[string]string{"d/x": ""},
			[]string{"run", "$DIR/d"}, "is a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			code, _, stderr := tangle(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tc.want)
			}
			if strings.ContainsRune(stderr, 0x1b) {
				t.Fatalf("stderr contains a raw escape character: %q", stderr)
			}
		})
	}
}

// TestInternalErrorsExitThree: a bug (a panic in the command, or a run's
// recovered panic) exits 3 with the rerun line and a request to report
// it; a path the user gave that cannot be written exits 2.
func TestInternalErrorsExitThree(t *testing.T) {
	fail := &command{name: "boom", setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			switch args[0] {
			case "panic":
				panic("kaboom")
			case "run":
				return fmt.Errorf("strategy x: %w", &scenarios.InternalError{Scenario: "s", Strategy: "x", Seed: 42, Value: "kaboom"})
			}
			_, err := os.ReadFile(filepath.Join(t.TempDir(), "missing"))
			return err
		}
	}}
	commands = append(commands, fail)
	defer func() { commands = commands[:len(commands)-1] }()
	for _, tc := range []struct {
		arg  string
		code int
		want []string
	}{
		{"panic", exitInternal, []string{"internal error (a bug in tangle", "kaboom", "rerun: tangle boom panic", "Please report this"}},
		{"run", exitInternal, []string{"seed 42", "rerun: tangle boom run", "Please report this"}},
		{"path", exitUsage, []string{"no such file or directory"}},
	} {
		code, _, stderr := tangle(t, "boom", tc.arg)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", tc.arg, code, tc.code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.arg, w, stderr)
			}
		}
	}
}

// TestUserIOErrors: a full disk, a read-only file system or a permission
// problem on a path the user gave is a user error with what to do.
func TestUserIOErrors(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.ENOSPC: "the disk is full",
		syscall.EROFS:  "the file system is read-only",
		syscall.EACCES: "permission denied",
	} {
		err := fmt.Errorf("writing outputs: %w", &fs.PathError{Op: "open", Path: "out/summary.json", Err: errno})
		msg, ok := userIOError(err)
		if !ok || !strings.Contains(msg, want) || !strings.Contains(msg, "out/summary.json") {
			t.Errorf("%v: %q, %v", errno, msg, ok)
		}
	}
	if _, ok := userIOError(fmt.Errorf("plain")); ok {
		t.Error("a plain error taken for a user's I/O error")
	}
}
