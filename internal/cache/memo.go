package cache

import "sync"

// Memo remembers a pure function's results (a storage key made from its
// parts, a blob header's names), so that a hot path does not allocate
// them again: what it holds is never outdated, so no feed follows it and
// the Registry does not list it. It keeps at most size results, the first
// ones put; later ones are computed each time. Safe for concurrent use.
type Memo[K comparable, V any] struct {
	size int
	mu   sync.RWMutex
	m    map[K]V
}

// NewMemo returns a Memo of at most size results.
func NewMemo[K comparable, V any](size int) *Memo[K, V] {
	return &Memo[K, V]{size: size, m: make(map[K]V)}
}

// Get returns the result remembered for k.
func (m *Memo[K, V]) Get(k K) (V, bool) {
	m.mu.RLock()
	v, ok := m.m[k]
	m.mu.RUnlock()
	return v, ok
}

// Put remembers v for k while there is room.
func (m *Memo[K, V]) Put(k K, v V) {
	m.mu.Lock()
	if len(m.m) < m.size {
		m.m[k] = v
	}
	m.mu.Unlock()
}
