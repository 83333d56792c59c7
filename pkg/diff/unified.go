package diff

import (
	"fmt"
	"strings"
)

// op is one line of an edit script: kept (' '), removed ('-') or added ('+').
type op struct {
	kind byte
	text string
}

// lines splits s into lines without their newlines; "" has no lines.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// editScript returns a shortest edit script turning a into b (Myers' O((N+M)D)
// algorithm, after trimming the common prefix and suffix).
func editScript(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []op
	for _, l := range a[:pre] {
		out = append(out, op{' ', l})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, op{' ', l})
	}
	return out
}

// myers is the core of editScript, after "An O(ND) Difference Algorithm and Its
// Variations" (Myers 1986): v[k] holds the furthest x reached on diagonal k = x-y with d
// edits; the v of every round is kept to walk the path back.
func myers(a, b []string) []op {
	n, m := len(a), len(b)
	switch {
	case n == 0 && m == 0:
		return nil
	case n == 0 || m == 0:
		out := make([]op, 0, n+m)
		for _, l := range a {
			out = append(out, op{'-', l})
		}
		for _, l := range b {
			out = append(out, op{'+', l})
		}
		return out
	}
	maxD := n + m
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1] // a step down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // a step right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, off)
			}
		}
	}
	panic("diff: no edit script found") // unreachable: d = n+m always reaches the end
}

// backtrack walks the rounds of myers back from (len(a), len(b)) to (0, 0).
func backtrack(trace [][]int, a, b []string, off int) []op {
	x, y := len(a), len(b)
	var rev []op
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		k := x - y
		prevK := k - 1
		if k == -d || k != d && v[off+k-1] < v[off+k+1] {
			prevK = k + 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, op{' ', a[x-1]})
			x, y = x-1, y-1
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, op{'+', b[y-1]})
			} else {
				rev = append(rev, op{'-', a[x-1]})
			}
		}
		x, y = prevX, prevY
	}
	out := make([]op, len(rev))
	for i, o := range rev {
		out[len(rev)-1-i] = o
	}
	return out
}

// unified renders the difference between texts a and b as a unified diff with context
// lines of context, under the names fromName and toName; "" when they are equal.
func unified(fromName, toName, a, b string, context int) string {
	ops := editScript(lines(a), lines(b))
	var sb strings.Builder
	// aLine and bLine are the 1-based numbers of the next line of a and b.
	aLine, bLine := 1, 1
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			aLine, bLine = aLine+1, bLine+1
			i++
			continue
		}
		// A hunk starts context lines before this change and runs until more than
		// 2*context unchanged lines separate it from the next change.
		start := max(i-context, 0)
		for j := start; j < i; j++ {
			aLine, bLine = aLine-1, bLine-1
		}
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		if sb.Len() == 0 {
			fmt.Fprintf(&sb, "--- %s\n+++ %s\n", fromName, toName)
		}
		var aN, bN int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aN++
			}
			if o.kind != '-' {
				bN++
			}
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(aLine, aN), hunkRange(bLine, bN))
		for _, o := range ops[start:end] {
			sb.WriteByte(o.kind)
			sb.WriteString(o.text)
			sb.WriteByte('\n')
		}
		aLine, bLine = aLine+aN, bLine+bN
		i = end
	}
	return sb.String()
}

// hunkRange renders "start,count" as diff does: an empty range starts one line earlier.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
