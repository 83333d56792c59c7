package objjson

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMarshalIsEncodingJSON: for the values objects hold, Marshal gives
// exactly the bytes of json.Marshal: fixed edge cases, then random documents.
func TestMarshalIsEncodingJSON(t *testing.T) {
	t.Parallel()
	check := func(v any) {
		t.Helper()
		want, wantErr := json.Marshal(v)
		got, err := Marshal(v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("Marshal(%#v) error %v, json.Marshal error %v", v, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Marshal(%#v)\n got %s\nwant %s", v, got, want)
		}
	}
	fixed := []any{
		nil, true, false, "", "plain", `quote " back \ slash`, "<script>&amp;</script>",
		"ctl \x00\x01\x08\x0c\n\r\t\x1f\x7f", "bad utf8 \xff\xfe end", "line \u2028 para \u2029",
		"unicode é 日本 🚀", int64(0), int64(-42), int64(math.MaxInt64), int64(math.MinInt64), 7, int32(-3),
		0.0, 1.5, -2.25, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 3.14159e-10, -1e-7, 5e-324, math.MaxFloat64,
		math.Inf(1), math.NaN(),
		map[string]any{}, map[string]any(nil), []any{}, []any(nil),
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": true, "y": 2.5}}, "<": ">"},
		map[string]string{"typed": "maps fall back"}, []string{"typed", "slices"},
	}
	for _, v := range fixed {
		check(v)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		check(randomValue(r, 4))
	}
}

// randomValue returns a random document of the kinds unstructured content holds.
func randomValue(r *rand.Rand, depth int) any {
	n := 8
	if depth == 0 {
		n = 6
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return r.Int64() - r.Int64()
	case 3:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(60)-30))
	case 4, 5:
		return randomString(r)
	case 6:
		m := map[string]any{}
		for range r.IntN(5) {
			m[randomString(r)] = randomValue(r, depth-1)
		}
		return m
	default:
		s := make([]any, r.IntN(5))
		for i := range s {
			s[i] = randomValue(r, depth-1)
		}
		return s
	}
}

// randomString returns a short string mixing ASCII (control characters included),
// invalid UTF-8 and the runes JSON escapes specially.
func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		switch r.IntN(5) {
		case 0:
			b.WriteByte(byte(r.IntN(128)))
		case 1:
			b.WriteByte(byte(128 + r.IntN(128))) // often invalid UTF-8
		case 2:
			b.WriteRune([]rune{'\u2028', '\u2029', 'é', '日', '🚀', '<', '&'}[r.IntN(7)])
		default:
			b.WriteByte(byte('a' + r.IntN(26)))
		}
	}
	return b.String()
}
