package helm

import (
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// InvalidError reports input that cannot be rendered: a chart that does not load, a
// dependency missing from charts/, a values file or --set that does not parse, a template
// that fails. It matches manifest.ErrInvalid with errors.Is, so callers treat it like any
// other bad input: nothing was changed.
type InvalidError struct {
	Err error
}

func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InvalidError) Unwrap() error { return e.Err }

// Is reports whether target is manifest.ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == manifest.ErrInvalid }

func invalidf(format string, args ...any) error {
	return &InvalidError{Err: fmt.Errorf(format, args...)}
}

// invalid wraps err, keeping it as the cause, unless it already is an InvalidError.
func invalid(err error, format string, args ...any) error {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return err
	}
	return &InvalidError{Err: fmt.Errorf(format+": %w", append(args, err)...)}
}
