package cli

import (
	"strings"
	"unicode/utf8"
)

// tableLayout holds the widths of the live table's columns for one terminal width.
type tableLayout struct {
	width                            int // the whole line
	obj, status, ready, time, detail int // detail 0: no DETAIL column
}

// layoutFor fits the columns into width: STATUS, READY and TIME keep their size,
// OBJECT takes what its longest name needs up to three fifths of the rest, DETAIL the
// remainder (dropped when it would be too narrow to say anything).
func layoutFor(width, longest int) tableLayout {
	l := tableLayout{width: width, status: 11, ready: 7, time: 7}
	avail := width - l.status - l.ready - l.time - 4
	l.obj = min(max(longest, len("OBJECT")), max(16, avail*3/5))
	l.detail = avail - l.obj
	if l.detail < 8 {
		l.obj, l.detail = max(avail+1, 8), 0
	}
	return l
}

// row renders one line of the table, never wider than the layout.
func (l tableLayout) row(obj, status, ready, elapsed, detail string) string {
	s := pad(truncateMiddle(obj, l.obj), l.obj) + " " + pad(status, l.status) + " " + pad(ready, l.ready) + " " + pad(elapsed, l.time)
	if l.detail > 0 {
		s += " " + truncate(detail, l.detail)
	}
	return truncate(strings.TrimRight(s, " "), l.width)
}

// pad fills s with spaces to n columns.
func pad(s string, n int) string {
	if w := displayWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// truncate cuts s to at most n columns, ending in "…" when cut; it never splits a
// UTF-8 character and counts wide (East Asian) characters as two columns.
func truncate(s string, n int) string {
	if displayWidth(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

// truncateMiddle cuts s to at most n columns by replacing its middle with "…", so an
// object's kind and name both stay visible when a long namespace does not fit.
func truncateMiddle(s string, n int) string {
	if displayWidth(s) <= n || n < 5 {
		return truncate(s, n)
	}
	rs := []rune(s)
	tail := (n - 1) / 2
	var end []rune
	w := 0
	for i := len(rs) - 1; i >= 0 && w+runeWidth(rs[i]) <= tail; i-- {
		end = append([]rune{rs[i]}, end...)
		w += runeWidth(rs[i])
	}
	head := truncate(s, n-w)
	return strings.TrimSuffix(head, "…") + "…" + string(end)
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// byteOffset returns the byte index in s where column col starts.
func byteOffset(s string, col int) int {
	w := 0
	for i, r := range s {
		if w >= col {
			return i
		}
		w += runeWidth(r)
	}
	return len(s)
}

// runeWidth is 2 for wide characters (CJK, Hangul, fullwidth forms, most emoji), 0 for
// combining marks and control characters, 1 otherwise.
func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError, r < 0x20, r == 0x7f:
		return 0
	case r >= 0x300 && r <= 0x36f, r >= 0x200b && r <= 0x200f, r == 0xfe0f:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f, r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1faff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}
