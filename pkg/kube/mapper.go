package kube

import (
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// MemoMapper answers RESTMapping from memory once its mapper has answered the same kind
// and versions: a deploy maps every object in each of several steps (normalize, the
// permission check, apply, track), and a discovery mapper builds each answer anew
// (a thousand objects cost tens of milliseconds of CPU per step). It is never staler than
// its mapper: errors are not kept (a kind not served yet may be once its CRD is
// applied), and Reset, or a NoMatch answer (after which a deferred discovery mapper
// reads discovery again by itself), forgets every answer. Every other method is the
// mapper's own. It is safe for concurrent use.
type MemoMapper struct {
	meta.ResettableRESTMapper

	mu   sync.Mutex
	memo map[memoKey]meta.RESTMapping
}

type memoKey struct {
	gk       schema.GroupKind
	versions string
}

var _ meta.ResettableRESTMapper = (*MemoMapper)(nil)

// NewMemoMapper returns a MemoMapper over m.
func NewMemoMapper(m meta.ResettableRESTMapper) *MemoMapper {
	return &MemoMapper{ResettableRESTMapper: m, memo: map[memoKey]meta.RESTMapping{}}
}

// RESTMapping returns the mapper's answer for gk in versions, from memory when it gave
// one before. Each call returns its own copy.
func (m *MemoMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	k := memoKey{gk, strings.Join(versions, "\x00")}
	m.mu.Lock()
	got, ok := m.memo[k]
	m.mu.Unlock()
	if ok {
		return &got, nil
	}
	r, err := m.ResettableRESTMapper.RESTMapping(gk, versions...)
	if err != nil {
		if meta.IsNoMatchError(err) {
			m.forget()
		}
		return nil, err
	}
	m.mu.Lock()
	m.memo[k] = *r
	m.mu.Unlock()
	return r, nil
}

// Reset forgets every answer and resets the mapper.
func (m *MemoMapper) Reset() {
	m.forget()
	m.ResettableRESTMapper.Reset()
}

func (m *MemoMapper) forget() {
	m.mu.Lock()
	clear(m.memo)
	m.mu.Unlock()
}
