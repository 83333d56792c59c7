package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/shipsafe/shipsafe/pkg/release"
)

var _ Store = (*Memory)(nil)

// Memory is a Store in process memory, for tests and dry runs. It encodes revisions exactly
// as the Secret driver does, so the size limit and the isolation from callers are the same.
// The zero value is not usable; call NewMemory.
type Memory struct {
	mu      sync.Mutex
	records map[string]map[int]memoryRecord // release name -> number -> record
	seq     uint64                          // last version handed out
}

type memoryRecord struct {
	body    []byte
	version string
}

// NewMemory returns an empty in-memory store. It has no namespace of its own: revisions
// keep the Namespace they were created with.
func NewMemory() *Memory {
	return &Memory{records: map[string]map[int]memoryRecord{}}
}

// Create implements Store.
func (m *Memory) Create(_ context.Context, rev *release.Revision) error {
	if err := checkRevision(rev); err != nil {
		return err
	}
	body, err := encode(rev)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.records[rev.Release][rev.Number]; ok {
		return fmt.Errorf("create release %s revision %d: %w", rev.Release, rev.Number, ErrExists)
	}
	if m.records[rev.Release] == nil {
		m.records[rev.Release] = map[int]memoryRecord{}
	}
	rev.StoreVersion = m.put(rev, body)
	return nil
}

// Update implements Store.
func (m *Memory) Update(_ context.Context, rev *release.Revision) error {
	if err := checkRevision(rev); err != nil {
		return err
	}
	body, err := encode(rev)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.records[rev.Release][rev.Number]
	switch {
	case !ok:
		return fmt.Errorf("update release %s revision %d: %w", rev.Release, rev.Number, ErrNotFound)
	case rev.StoreVersion != "" && rev.StoreVersion != old.version:
		return fmt.Errorf("update release %s revision %d: %w", rev.Release, rev.Number, ErrConflict)
	}
	rev.StoreVersion = m.put(rev, body)
	return nil
}

// put stores body and returns its new version; m.mu must be held.
func (m *Memory) put(rev *release.Revision, body []byte) string {
	m.seq++
	v := strconv.FormatUint(m.seq, 10)
	m.records[rev.Release][rev.Number] = memoryRecord{body: body, version: v}
	return v
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, name string, number int) (*release.Revision, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	rec, ok := m.records[name][number]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("get release %s revision %d: %w", name, number, ErrNotFound)
	}
	return rec.revision()
}

// History implements Store.
func (m *Memory) History(_ context.Context, name string) ([]*release.Revision, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	recs := m.records[name]
	numbers := slices.Sorted(maps.Keys(recs))
	picked := make([]memoryRecord, len(numbers))
	for i, n := range numbers {
		picked[i] = recs[n]
	}
	m.mu.Unlock()
	return decodeAll(picked)
}

// Summaries implements Store: the summaries of History's revisions.
func (m *Memory) Summaries(ctx context.Context, name string) ([]*release.Summary, error) {
	revs, err := m.History(ctx, name)
	if err != nil {
		return nil, err
	}
	return release.Summaries(revs), nil
}

// List implements Store.
func (m *Memory) List(_ context.Context) ([]*release.Summary, error) {
	m.mu.Lock()
	var picked []memoryRecord
	for _, recs := range m.records {
		if len(recs) > 0 {
			picked = append(picked, recs[slices.Max(slices.Collect(maps.Keys(recs)))])
		}
	}
	m.mu.Unlock()
	out, err := decodeAll(picked)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *release.Revision) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Release, b.Release))
	})
	return release.Summaries(out), nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, name string, number int) error {
	if err := release.ValidateName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.records[name][number]; !ok {
		return fmt.Errorf("delete release %s revision %d: %w", name, number, ErrNotFound)
	}
	delete(m.records[name], number)
	if len(m.records[name]) == 0 {
		delete(m.records, name)
	}
	return nil
}

func (r memoryRecord) revision() (*release.Revision, error) {
	rev, err := decode(r.body)
	if err != nil {
		return nil, err
	}
	rev.StoreVersion = r.version
	return rev, nil
}

func decodeAll(recs []memoryRecord) ([]*release.Revision, error) {
	out := make([]*release.Revision, 0, len(recs))
	for _, r := range recs {
		rev, err := r.revision()
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	return out, nil
}
