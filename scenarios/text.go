package scenarios

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxFileSize is the largest scenario file read: 4 MiB, a hundred times
// the largest built-in. Bigger files are refused before parsing, since the
// YAML tree alone takes many times the file's size.
const MaxFileSize = 4 << 20

// checkText refuses what is not YAML text before the parser sees it, with
// the position of the first offending byte: bytes that are not UTF-8
// (Latin-1, binary files), NUL and other control characters.
func checkText(file string, src []byte) *Error {
	if len(src) > MaxFileSize {
		return &Error{File: file, Msg: fmt.Sprintf("the file is over %d bytes (4 MiB), the most a scenario file may be", MaxFileSize), Hint: "is it the right file?"}
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &Error{File: file, Pos: Pos{line, col}, Msg: fmt.Sprintf("byte 0x%02x is not UTF-8 text", src[i]), Hint: "save the file as UTF-8; a binary file is not a scenario"}
		case r == 0:
			return &Error{File: file, Pos: Pos{line, col}, Msg: "the file contains a NUL byte", Hint: "is it a binary file? scenarios are YAML text"}
		case isControl(r) && r != '\t' && r != '\n' && r != '\r' && r != '\ufeff':
			return &Error{File: file, Pos: Pos{line, col}, Msg: fmt.Sprintf("control character %U is not allowed in YAML", r), Hint: "is it a binary file? scenarios are YAML text"}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

// isControl reports C0 and C1 control characters and DEL: what a terminal
// may interpret (escape sequences) rather than print.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// controlFree reports a string's first control character other than tab
// and newline, for values that are printed (names): an escape sequence in
// a name could rewrite the user's terminal when a report is printed.
func controlFree(s string) error {
	for _, r := range s {
		if isControl(r) && r != '\t' && r != '\n' {
			return fmt.Errorf("contains control character %U; names and text must be printable", r)
		}
	}
	return nil
}

// escapeControls writes control characters as Go escapes (\x1b), so an
// error message quoting user input cannot drive the terminal.
func escapeControls(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return isControl(r) && r != '\n' && r != '\t' }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) && r != '\n' && r != '\t' {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EscapeControls is escapeControls for the command line's messages.
func EscapeControls(s string) string { return escapeControls(s) }
