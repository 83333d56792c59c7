package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error that reports bad manifest input rather
// than an I/O failure: *DocumentError, *DuplicateError and an empty object set. Callers
// treat it as a usage error: nothing was changed.
var ErrInvalid = errors.New("invalid manifest")

// Location says where a document came from: the source name (a file path, or "<stdin>"),
// the 1-based line where the document starts (0 when unknown), its 1-based position in
// the source, and its 1-based position inside a List (0 when it is not a List item).
type Location struct {
	Source   string `json:"source"`
	Line     int    `json:"line,omitempty"`
	Document int    `json:"document"`
	Item     int    `json:"item,omitempty"`
}

// String renders the location as "path:line (document N, item M)", leaving out what is
// unknown.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Source)
	if l.Line > 0 {
		fmt.Fprintf(&b, ":%d", l.Line)
	}
	if l.Document > 0 {
		fmt.Fprintf(&b, " (document %d", l.Document)
		if l.Item > 0 {
			fmt.Fprintf(&b, ", item %d", l.Item)
		}
		b.WriteString(")")
	}
	return b.String()
}

// DocumentError reports one document that cannot be used: where it is, what is wrong with
// it and what to do about it. Err, when set, is the underlying parser error.
type DocumentError struct {
	Location
	// Reason says what is wrong, e.g. `missing kind` or `malformed YAML: line 4: ...`.
	Reason string
	// Hint says what to do, e.g. `add "kind: Deployment"`.
	Hint string
	// Err is the underlying error, if any; Reason already includes its text.
	Err error
}

// Error renders "<location>: <reason>; <hint>".
func (e *DocumentError) Error() string {
	s := e.Location.String() + ": " + e.Reason
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the underlying parser error, if any.
func (e *DocumentError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *DocumentError) Is(target error) bool { return target == ErrInvalid }

// DuplicateError reports two documents that define the same object.
type DuplicateError struct {
	// Key is the object both documents define.
	Key Key
	// First and Second say where the two definitions are. They are empty when the
	// duplicate was found after loading (SetDefaultNamespace), where the origin is no
	// longer known; Detail then explains how the two became one.
	First, Second Location
	// Detail adds context, e.g. that the duplicate appeared once the default namespace was
	// filled in.
	Detail string
}

// Error renders "duplicate object <key>: defined in <first> and in <second>; ...".
func (e *DuplicateError) Error() string {
	s := "duplicate object " + e.Key.String()
	if e.First.Source != "" {
		s += ": defined in " + e.First.String() + " and in " + e.Second.String()
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s + "; keep one definition or give them different names"
}

// Is reports whether target is ErrInvalid.
func (e *DuplicateError) Is(target error) bool { return target == ErrInvalid }
