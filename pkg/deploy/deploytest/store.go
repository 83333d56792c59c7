package deploytest

import (
	"context"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

var _ store.Store = (*Store)(nil)

// Store wraps a store.Store (a store.Memory from New); each ...Func, when set, is called
// first and its non-nil error returned instead of calling the wrapped store.
type Store struct {
	store.Store
	CreateFunc  func(ctx context.Context, rev *release.Revision) error
	UpdateFunc  func(ctx context.Context, rev *release.Revision) error
	HistoryFunc func(ctx context.Context, name string) error
	DeleteFunc  func(ctx context.Context, name string, number int) error
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, rev *release.Revision) error {
	if s.CreateFunc != nil {
		if err := s.CreateFunc(ctx, rev); err != nil {
			return err
		}
	}
	return s.Store.Create(ctx, rev)
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, rev *release.Revision) error {
	if s.UpdateFunc != nil {
		if err := s.UpdateFunc(ctx, rev); err != nil {
			return err
		}
	}
	return s.Store.Update(ctx, rev)
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, name string) ([]*release.Revision, error) {
	if s.HistoryFunc != nil {
		if err := s.HistoryFunc(ctx, name); err != nil {
			return nil, err
		}
	}
	return s.Store.History(ctx, name)
}

// Summaries implements store.Store; HistoryFunc is called for it too (both read the
// history).
func (s *Store) Summaries(ctx context.Context, name string) ([]*release.Summary, error) {
	if s.HistoryFunc != nil {
		if err := s.HistoryFunc(ctx, name); err != nil {
			return nil, err
		}
	}
	return s.Store.Summaries(ctx, name)
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, name string, number int) error {
	if s.DeleteFunc != nil {
		if err := s.DeleteFunc(ctx, name, number); err != nil {
			return err
		}
	}
	return s.Store.Delete(ctx, name, number)
}
