package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocumentedSweepsAreValid: every `$ tangle sweep …` command in the
// README and docs/ plans without error (--dry-run checks every cell's
// scenario), so recipes cannot rot as keys and parameters change.
func TestDocumentedSweepsAreValid(t *testing.T) {
	t.Chdir("../..") // the commands are run from the repository's root
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range consoleCommands(string(src)) {
			args, err := shellWords(cmd)
			if err != nil {
				t.Errorf("%s: %q: %v", f, cmd, err)
				continue
			}
			if len(args) < 2 || filepath.Base(args[0]) != "tangle" || args[1] != "sweep" || strings.Contains(cmd, "…") {
				continue
			}
			n++
			code, _, stderr := tangle(t, append(args[1:], "--dry-run")...)
			if code != 0 {
				t.Errorf("%s: %s\nexit %d: %s", filepath.Base(f), cmd, code, stderr)
			}
		}
	}
	if n < 5 {
		t.Errorf("found %d documented sweeps; the docs have more (is the extraction broken?)", n)
	}
}

var promptLine = regexp.MustCompile(`(?m)^\$ (.*)$`)

// consoleCommands are the commands after "$ " prompts, with their
// backslash-continued lines joined.
func consoleCommands(src string) []string {
	lines := strings.Split(src, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		m := promptLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		cmd := m[1]
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
		}
		out = append(out, cmd)
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the
// quoting the docs use: single and double quotes, comments from a word
// starting with #, no expansions.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, inWord := rune(0), false
	for _, r := range s {
		switch {
		case in != 0 && r == in:
			in = 0
		case in != 0:
			cur.WriteRune(r)
		case r == '#' && !inWord:
			return words, nil
		case r == '\'' || r == '"':
			in, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if in != 0 {
		return nil, errUnterminated
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var errUnterminated = errors.New("unterminated quote")
