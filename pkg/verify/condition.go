package verify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Condition is a comparison a query's value must satisfy: Op Value ("< 0.01").
type Condition struct {
	Op    string
	Value float64
}

// ops are the comparison operators, longest first so "<=" is not read as "<".
var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseCondition reads "OP NUMBER" (OP one of < <= > >= == !=), e.g. "< 0.01" or ">=0.95".
func ParseCondition(s string) (Condition, error) {
	t := strings.TrimSpace(s)
	for _, op := range ops {
		if rest, ok := strings.CutPrefix(t, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return Condition{}, fmt.Errorf("%q: want OP NUMBER, e.g. \"< 0.01\"; %q is not a number", s, strings.TrimSpace(rest))
			}
			return Condition{Op: op, Value: v}, nil
		}
	}
	return Condition{}, fmt.Errorf("%q: want OP NUMBER with OP one of < <= > >= == !=, e.g. \"< 0.01\"", s)
}

// String renders the condition as written.
func (c Condition) String() string { return c.Op + " " + formatValue(c.Value) }

// Threshold returns the condition with its bound made relative to a baseline: with
// factor > 0 and a known baseline, an upper bound (< or <=) becomes
// max(factor × baseline, Value) and a lower bound (> or >=) min(factor × baseline, Value),
// so the absolute Value is always accepted and a baseline that was already worse
// loosens it ("error rate at most max(1.5 × baseline, 1 %)"). Without a factor or a
// baseline the condition is returned as it is.
func (c Condition) Threshold(factor float64, baseline *float64) Condition {
	if factor <= 0 || baseline == nil {
		return c
	}
	rel := factor * *baseline
	switch c.Op {
	case "<", "<=":
		return Condition{Op: c.Op, Value: math.Max(rel, c.Value)}
	case ">", ">=":
		return Condition{Op: c.Op, Value: math.Min(rel, c.Value)}
	}
	return c
}

// Holds reports whether v satisfies the condition. NaN never does.
func (c Condition) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch c.Op {
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	case "==":
		return v == c.Value
	case "!=":
		return v != c.Value
	}
	return false
}

// formatValue prints a query value briefly but exactly enough to compare by eye.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
