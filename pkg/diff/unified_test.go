package diff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{name: "equal", a: "a\nb\n", b: "a\nb\n", want: ""},
		{name: "both empty", a: "", b: "", want: ""},
		{
			name: "two changes far apart make two hunks",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			b:    "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			want: "--- A\n+++ B\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n",
		},
		{
			name: "changes close together share a hunk",
			a:    "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n",
			b:    "a\nb\nX\nd\ne\nf\ng\nh\ni\nY\nk\nl\n",
			want: "--- A\n+++ B\n@@ -1,11 +1,12 @@\n a\n b\n-c\n+X\n d\n e\n f\n g\n h\n i\n-j\n+Y\n k\n+l\n",
		},
		{name: "from nothing", a: "", b: "x\ny\n", want: "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{name: "to nothing", a: "x\n", b: "", want: "--- A\n+++ B\n@@ -1 +0,0 @@\n-x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := unified("A", "B", tt.a, tt.b, 3); got != tt.want {
				t.Errorf("unified:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// lcs is the length of a longest common subsequence, by dynamic programming.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// TestEditScriptIsShortestAndCorrect checks random inputs: the script rebuilds both
// sides and keeps as many lines as a longest common subsequence has.
func TestEditScriptIsShortestAndCorrect(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		out := make([]string, r.IntN(25))
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for i := range 2000 {
		a, b := gen(), gen()
		ops := editScript(a, b)
		var gotA, gotB []string
		kept := 0
		for _, o := range ops {
			switch o.kind {
			case ' ':
				gotA, gotB = append(gotA, o.text), append(gotB, o.text)
				kept++
			case '-':
				gotA = append(gotA, o.text)
			case '+':
				gotB = append(gotB, o.text)
			}
		}
		if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
			t.Fatalf("case %d: script %v does not rebuild a=%v b=%v", i, ops, a, b)
		}
		if want := lcs(a, b); kept != want {
			t.Fatalf("case %d: script keeps %d lines, a longest common subsequence has %d (a=%v b=%v)", i, kept, want, a, b)
		}
	}
}
