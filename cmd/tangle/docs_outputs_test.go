package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A documented command with the output the docs print for it.
type docExample struct {
	file, cmd string
	line      int
	output    []string // the documented lines; "…" skips any number of actual lines
	from, to  int      // the output's line range in the file, [from, to)
}

var updateDocs = flag.Bool("update-docs", false, "rewrite the documented outputs in README.md and docs/cookbook.md from the actual ones, keeping the rows and elisions the docs chose")

// docExamples extracts, from fenced blocks, every "$ tangle …" (or
// "$ bin/tangle …") command followed by output lines — in the same block,
// or in a ```text block right after the command's block — and the
// "$ echo $?" lines that follow a command.
func docExamples(file, src string) []docExample {
	lines := strings.Split(src, "\n")
	var out []docExample
	inBlock := false
	var cur *docExample
	flush := func() {
		if cur != nil && len(cur.output) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			if inBlock {
				inBlock = false
				// A ```text block right after holds the output of the
				// block's last command.
				if cur != nil && len(cur.output) == 0 && i+2 < len(lines) && lines[i+1] == "" && lines[i+2] == "```text" {
					i += 3
					cur.from = i
					for ; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
						cur.output = append(cur.output, lines[i])
					}
					cur.to = i
				}
				flush()
				continue
			}
			inBlock = true
			continue
		}
		if !inBlock {
			continue
		}
		if m := promptLine.FindStringSubmatch(l); m != nil {
			cmd := m[1]
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
			}
			if cmd == "echo $?" && cur != nil {
				cur.output = append(cur.output, "$ echo $?")
				cur.to = i + 1
				continue
			}
			flush()
			cur = &docExample{file: file, cmd: cmd, line: i + 1}
			continue
		}
		if cur != nil {
			if len(cur.output) == 0 {
				cur.from = i
			}
			cur.output = append(cur.output, l)
			cur.to = i + 1
		}
	}
	flush()
	return out
}

// lineKey identifies a documented line across runs: its first field (a
// metric, a rank, a header word), or the mark, name and kind of a check.
func lineKey(l string) string {
	f := strings.Fields(l)
	switch {
	case len(f) == 0:
		return ""
	case f[0] == "✓" || f[0] == "✗":
		return strings.Join(f[:min(len(f), 4)], " ")
	}
	return f[0]
}

// reconcile rewrites documented lines from the actual output: each line
// becomes the next actual line with the same key, "…" stays, and "…" marks
// every run of actual lines the docs leave out; when that does not
// reproduce a matching excerpt, the whole actual output replaces it.
func reconcile(doc, actual []string) []string {
	var out []string
	next := 0
	for _, d := range doc {
		if strings.TrimSpace(d) == "…" || strings.TrimSpace(d) == "" && len(out) > 0 && out[len(out)-1] == "…" {
			out = append(out, d)
			continue
		}
		key := lineKey(d)
		k := slices.IndexFunc(actual[next:], func(a string) bool { return lineKey(a) == key })
		if k < 0 {
			continue
		}
		if k > 0 && (len(out) == 0 || strings.TrimSpace(out[len(out)-1]) != "…") {
			out = append(out, "…") // the docs left rows out here
		}
		out = append(out, actual[next+k])
		next += k + 1
	}
	if ok, _ := matches(out, actual); ok && len(out) > 0 {
		return out
	}
	return actual
}

// matches reports whether actual contains the documented lines in order,
// "…" skipping any run of actual lines, every other line exactly (trailing
// spaces aside). It returns the first documented line that failed.
func matches(doc, actual []string) (bool, string) {
	trim := func(s string) string { return strings.TrimRight(s, " ") }
	var match func(d, a int) bool
	match = func(d, a int) bool {
		for d < len(doc) {
			if trim(doc[d]) == "…" {
				for k := a; k <= len(actual); k++ {
					if match(d+1, k) {
						return true
					}
				}
				return false
			}
			if a >= len(actual) || trim(doc[d]) != trim(actual[a]) {
				return false
			}
			d, a = d+1, a+1
		}
		return true
	}
	if match(0, 0) {
		return true, ""
	}
	// Report the first documented line that appears nowhere.
	for _, d := range doc {
		if trim(d) == "…" {
			continue
		}
		found := false
		for _, a := range actual {
			if trim(a) == trim(d) {
				found = true
				break
			}
		}
		if !found {
			return false, d
		}
	}
	return false, "(the lines are all there, but not in this order)"
}

// TestREADMEOutputs and TestCookbookOutputs run every command the README
// and the cookbook print output for, and require that output: documented
// lines in order, "…" standing for lines left out. Commands run from the
// repository's root; "bin/tangle" and "tangle" are this binary. So no
// documented output can rot: change the code, and the docs must change
// with it. The commands run in parallel, one subtest each.
func TestREADMEOutputs(t *testing.T) { testDocumentedOutputs(t, "README.md", 3) }

func TestCookbookOutputs(t *testing.T) { testDocumentedOutputs(t, "docs/cookbook.md", 5) }

// testDocumentedOutputs checks the outputs documented in file (relative to
// the repository's root), which has at least min of them.
func testDocumentedOutputs(t *testing.T, file string, min int) {
	if testing.Short() {
		t.Skip("runs every documented command; skipped with -short")
	}
	t.Chdir("../..")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	all := docExamples(file, string(src))
	if len(all) < min {
		t.Fatalf("found %d documented outputs in %s; it has more (is the extraction broken?)", len(all), file)
	}
	type rewrite struct {
		from, to int
		lines    []string
	}
	var mu sync.Mutex
	var rewrites []rewrite
	// After every parallel subtest has finished.
	t.Cleanup(func() {
		if len(rewrites) == 0 {
			return
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		slices.SortFunc(rewrites, func(a, b rewrite) int { return b.from - a.from })
		for _, r := range rewrites {
			lines = slices.Concat(lines[:r.from], r.lines, lines[r.to:])
		}
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	for _, ex := range all {
		t.Run(fmt.Sprintf("%s:%d", filepath.Base(ex.file), ex.line), func(t *testing.T) {
			t.Parallel()
			cmd := ex.cmd
			echoExit := false
			if c, ok := strings.CutSuffix(cmd, ` ; echo "exit $?"`); ok {
				cmd, echoExit = c, true
			}
			args, err := shellWords(cmd)
			if err != nil || len(args) < 2 || filepath.Base(args[0]) != "tangle" || strings.Contains(cmd, "…") {
				t.Skipf("not a runnable tangle command: %s", cmd)
			}
			if !hasFlag(args, "--quiet") && (args[1] == "run" || args[1] == "sweep" || args[1] == "compare") {
				args = append(args, "--quiet")
			}
			tmp := ""
			if dir := flagValue(args, "--out"); dir != "" {
				tmp = t.TempDir()
				for i := range args {
					if args[i] == dir {
						args[i] = filepath.Join(tmp, dir)
					}
				}
			}
			code, stdout, stderr := tangle(t, args[1:]...)
			all := stdout + stderr
			if tmp != "" {
				all = strings.ReplaceAll(all, tmp+string(filepath.Separator), "")
			}
			got := strings.Split(strings.TrimRight(all, "\n"), "\n")
			if echoExit {
				got = append(got, fmt.Sprintf("exit %d", code))
			}
			doc := ex.output
			for i, d := range doc {
				if d == "$ echo $?" && i+1 < len(doc) {
					got = append(got, "$ echo $?", fmt.Sprint(code))
					break
				}
			}
			for len(doc) > 0 && strings.TrimSpace(doc[len(doc)-1]) == "" {
				doc = doc[:len(doc)-1]
			}
			if ok, bad := matches(doc, got); !ok && *updateDocs {
				mu.Lock()
				rewrites = append(rewrites, rewrite{ex.from, ex.from + len(doc), reconcile(doc, got)})
				mu.Unlock()
			} else if !ok {
				t.Errorf("%s:%d: $ %s\nthe documented output does not match; first documented line not found:\n  %s\nactual output:\n%s",
					ex.file, ex.line, ex.cmd, bad, strings.Join(got, "\n"))
			}
		})
	}
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f || strings.HasPrefix(a, f+"=") {
			return true
		}
	}
	return false
}

func flagValue(args []string, f string) string {
	for i, a := range args {
		if a == f && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
