package plan

import "fmt"

// InputError means the input (objects, names, flags) or the caller's access is wrong; the
// action stopped before changing anything in the cluster. The CLI exits 2 on it.
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Inputf returns an *InputError with a formatted message (%w wraps as in fmt.Errorf).
func Inputf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}
