package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// RetryOptions tune Retrying. The zero value takes the defaults.
type RetryOptions struct {
	// Attempts is how many times a write is tried in all; default 6.
	Attempts int
	// Backoff is the wait before the second try, doubled before each later one up to
	// MaxBackoff; defaults 250ms and 4s (about 8s of waiting over 6 attempts).
	Backoff, MaxBackoff time.Duration
	// OnRetry, when set, is told of every failed try that will be tried again.
	OnRetry func(op string, rev int, err error, wait time.Duration)
}

var _ Store = (*Retrying)(nil)

// Retrying is a Store whose writes (Create, Update, Delete) are tried again, with
// exponential backoff, after an error that may pass: an error status from the API server
// (a server error, a timeout, too many requests, a request refused by an admission
// webhook or policy) or a network error. Other errors are returned at once: ErrExists,
// ErrNotFound, ErrConflict, *TooLargeError, invalid input, a lost release lock
// (release.ErrLockLost), and the end of the caller's context, which also bounds the
// waiting. Reads are not retried. The last error
// is returned, with how many tries were made.
type Retrying struct {
	next Store
	opts RetryOptions
}

// NewRetrying returns next with its writes retried as opts say.
func NewRetrying(next Store, opts RetryOptions) *Retrying {
	if opts.Attempts <= 0 {
		opts.Attempts = 6
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 4 * time.Second
	}
	return &Retrying{next: next, opts: opts}
}

// Create implements Store.
func (s *Retrying) Create(ctx context.Context, rev *release.Revision) error {
	return s.retry(ctx, "create", number(rev), func() error { return s.next.Create(ctx, rev) })
}

// Update implements Store.
func (s *Retrying) Update(ctx context.Context, rev *release.Revision) error {
	return s.retry(ctx, "update", number(rev), func() error { return s.next.Update(ctx, rev) })
}

// Delete implements Store.
func (s *Retrying) Delete(ctx context.Context, name string, number int) error {
	return s.retry(ctx, "delete", number, func() error { return s.next.Delete(ctx, name, number) })
}

// Get implements Store.
func (s *Retrying) Get(ctx context.Context, name string, number int) (*release.Revision, error) {
	return s.next.Get(ctx, name, number)
}

// History implements Store.
func (s *Retrying) History(ctx context.Context, name string) ([]*release.Revision, error) {
	return s.next.History(ctx, name)
}

// Summaries implements Store.
func (s *Retrying) Summaries(ctx context.Context, name string) ([]*release.Summary, error) {
	return s.next.Summaries(ctx, name)
}

// List implements Store.
func (s *Retrying) List(ctx context.Context) ([]*release.Summary, error) {
	return s.next.List(ctx)
}

func (s *Retrying) retry(ctx context.Context, op string, rev int, write func() error) error {
	wait := s.opts.Backoff
	for try := 1; ; try++ {
		err := write()
		switch {
		case err == nil || !transient(err):
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("%w (tried %d times, then %w)", err, try, ctx.Err())
		}
		if try == s.opts.Attempts {
			return fmt.Errorf("%w (tried %d times)", err, try)
		}
		if s.opts.OnRetry != nil {
			s.opts.OnRetry(op, rev, err, wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (tried %d times, then %w)", err, try, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, s.opts.MaxBackoff)
	}
}

// number returns rev's number, 0 for nil (which the wrapped store refuses).
func number(rev *release.Revision) int {
	if rev == nil {
		return 0
	}
	return rev.Number
}

// transient reports whether another try of a write that failed with err may succeed.
func transient(err error) bool {
	var (
		tooLarge *TooLargeError
		status   apierrors.APIStatus
		netErr   net.Error
	)
	switch {
	case errors.Is(err, ErrExists), errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict),
		errors.As(err, &tooLarge), errors.Is(err, release.ErrLockLost),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return errors.As(err, &status) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}
