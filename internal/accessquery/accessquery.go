// Package accessquery pools what a service builds for one authorization:
// the sealbox.AccessQuery, its condition map, and a buffer that one-value
// condition slices are carved from. sealbox.Authorizer keeps neither the
// query nor its Context past Authorize, so each is used again by the next
// call instead of being allocated for every decision (KMS, Parameter Store
// and Secrets Manager share the pool).
package accessquery

import (
	"sync"

	"github.com/sealbox/sealbox"
)

// Query is one authorization's query and the condition map it points at
// (Cond, empty when got). Not safe for concurrent use; a Query belongs to
// one call between Get and Put.
type Query struct {
	Q    sealbox.AccessQuery
	Cond map[string][]string
	vals []string
}

var pool = sync.Pool{New: func() any {
	return &Query{Cond: make(map[string][]string, 16), vals: make([]string, 0, 32)}
}}

// Get returns a Query with an empty condition map.
func Get() *Query { return pool.Get().(*Query) }

// Put gives q back once Authorize has returned; nothing of q may be used
// after. An outsized call's buffers are not kept.
func (q *Query) Put() {
	if len(q.Cond) > 64 || cap(q.vals) > 256 {
		return
	}
	q.Q = sealbox.AccessQuery{}
	clear(q.Cond)
	clear(q.vals)
	q.vals = q.vals[:0]
	pool.Put(q)
}

// One is a one-value slice of v, carved from q's buffer. Its capacity is
// one: an append to it copies, never overwriting its neighbour.
func (q *Query) One(v string) []string {
	q.vals = append(q.vals, v)
	n := len(q.vals)
	return q.vals[n-1 : n : n]
}

// Keys is the keys of m in one slice carved from q's buffer, in the map's
// order.
func (q *Query) Keys(m map[string]string) []string {
	start := len(q.vals)
	for k := range m {
		q.vals = append(q.vals, k)
	}
	n := len(q.vals)
	return q.vals[start:n:n]
}
