package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update", false, "rewrite the golden outputs in testdata/script/*.txtar")

// TestMain lets testscript run this test binary as the tangle command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tangle": func() {
			a := &app{stdout: os.Stdout, stderr: os.Stderr}
			os.Exit(a.main(os.Args[1:]))
		},
	})
}

// TestScripts runs the golden CLI tests in testdata/script: every
// command's output, error messages and exit codes. Regenerate the golden
// outputs with: go test ./cmd/tangle -run Scripts -update
//
// Besides testscript's own commands, scripts have
//
//	exits N COMMAND ARGS...   run COMMAND and require exit code N
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateScripts,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits N COMMAND ARGS...")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: %v", err)
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("exits: %v", err)
				}
				if got != want {
					ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
				}
			},
		},
	})
}
