// Package hub is the server's side of the change feed: the Hub numbers
// the store's committed changes to parameters and secrets, and the Service
// answers Sealbox.GetChanges, a long poll that shows a caller only what it
// may read.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/changes"
	"github.com/sealbox/sealbox/internal/store"
)

// entry is one numbered change as the store reported it: the parameter or
// secret its key belongs to.
type entry struct {
	seq     uint64
	service string
	region  string
	key     string // the secret's name, or the parameter's name without its leading slash
	deleted bool
	time    time.Time
}

// Hub keeps the last changes to parameters and secrets, numbered. A cursor
// is "<epoch>.<seq>": the poller has been told of every change numbered
// seq or below.
//
// On a store of its own (NewHub) the hub numbers the changes its feed
// reports one by one, and the epoch is drawn when the server starts, so a
// poller whose cursor is from another run learns it may have missed
// changes. On a store several servers share (NewShared) the follower of
// the store's change log hands it every commit, this server's own
// included, in the log's order (Record): a change is numbered with its
// commit's seq, and the epoch is the database's identity, so a cursor
// from one server means the same on every other. Safe for concurrent use.
type Hub struct {
	epoch  string
	shared bool
	cancel []func()
	now    func() time.Time

	mu    sync.Mutex
	seq   uint64  // the last change's number (shared: the last commit's seq)
	floor uint64  // changes numbered floor or below may be gone: older cursors are reset
	ring  []entry // the last changes, oldest at ring[head], n of them
	head  int
	n     int
	wake  chan struct{}

	polls  int           // long polls waiting for a change
	joined chan struct{} // closed when polls grows (WaitPolls)
}

// NewHub watches feed for parameter and secret records and keeps the last
// keep changes.
func NewHub(feed store.Feed, keep int) *Hub {
	var b [8]byte
	rand.Read(b[:])
	h := &Hub{epoch: hex.EncodeToString(b[:]), now: time.Now, ring: make([]entry, keep), wake: make(chan struct{})}
	if cf, ok := feed.(store.CommitFeed); ok {
		// A commit's changes in one go, so that a poller is woken once
		// for a secret write's two records, not between them.
		h.cancel = append(h.cancel, cf.WatchCommits("sm/", h.commit(secretKey)), cf.WatchCommits("ssm/", h.commit(parameterKey)))
	} else {
		h.cancel = append(h.cancel, feed.Watch("sm/", h.each(secretKey)), feed.Watch("ssm/", h.each(parameterKey)))
	}
	return h
}

// NewShared returns a hub for servers sharing a store: it hears of
// commits through Record and Restart, and its cursors carry identity (the
// database's) as their epoch. It keeps the last keep changes.
func NewShared(identity string, keep int) *Hub {
	return &Hub{epoch: identity, shared: true, now: time.Now, ring: make([]entry, keep), wake: make(chan struct{})}
}

// Record numbers the changes of the commit seq of the shared store: every
// commit, in seq order (the follower of the change log calls it).
func (h *Hub) Record(seq int64, cs []store.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if uint64(seq) <= h.seq {
		return // heard of already
	}
	h.seq = uint64(seq)
	added := false
	for _, c := range cs {
		note := parameterKey
		if strings.HasPrefix(c.Key, "sm/") {
			note = secretKey
		}
		note(c, func(service, region, key string, deleted bool) {
			h.appendLocked(entry{seq: uint64(seq), service: service, region: region, key: key, deleted: deleted, time: h.now()})
			added = true
		})
	}
	if added {
		h.wakeLocked()
	}
}

// Restart has the shared hub follow from seq: the changes up to it will
// not be heard of (the follower starts there, or the log was pruned past
// it), so pollers with older cursors are reset.
func (h *Hub) Restart(seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq, h.floor, h.head, h.n = uint64(seq), uint64(seq), 0, 0
	h.wakeLocked()
}

// A noter notes a change to a record through add, if it is one readers
// are told of.
type noter func(c store.Change, add func(service, region, key string, deleted bool))

// commit watches a commit at a time: its changes are added under one lock,
// and pollers are woken once, at the end.
func (h *Hub) commit(note noter) func([]store.Change) {
	return func(cs []store.Change) {
		h.mu.Lock()
		defer h.mu.Unlock()
		added := false
		for _, c := range cs {
			note(c, func(service, region, key string, deleted bool) {
				h.addLocked(service, region, key, deleted)
				added = true
			})
		}
		if added {
			h.wakeLocked()
		}
	}
}

// each watches a change at a time.
func (h *Hub) each(note noter) func(store.Change) {
	return func(c store.Change) {
		note(c, func(service, region, key string, deleted bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.addLocked(service, region, key, deleted)
			h.wakeLocked()
		})
	}
}

// Close stops watching the store.
func (h *Hub) Close() {
	for _, c := range h.cancel {
		c()
	}
}

// secretKey notes a change to sm/<region>/secret/<name> or
// sm/<region>/value/<name>:<version>.
func secretKey(c store.Change, add func(service, region, key string, deleted bool)) {
	if c.Bookkeeping {
		return // a read's LastAccessedDate: nothing a reader is served changed
	}
	region, kind, rest, ok := split(c.Key, "sm/")
	switch {
	case !ok:
	case kind == "secret":
		add(changes.ServiceSecrets, region, rest, c.Deleted)
	case kind == "value":
		if i := strings.LastIndexByte(rest, ':'); i > 0 {
			add(changes.ServiceSecrets, region, rest[:i], false)
		}
	}
}

// parameterKey notes a change to ssm/<region>/param/<name> or to one of its
// older versions, ssm/<region>/hist/<name>:<version> (a label moved).
func parameterKey(c store.Change, add func(service, region, key string, deleted bool)) {
	if c.Bookkeeping {
		return
	}
	region, kind, rest, ok := split(c.Key, "ssm/")
	switch {
	case !ok:
	case kind == "param":
		add(changes.ServiceSSM, region, rest, c.Deleted)
	case kind == "hist":
		if i := strings.LastIndexByte(rest, ':'); i > 0 {
			add(changes.ServiceSSM, region, rest[:i], false)
		}
	}
}

// split cuts <prefix><region>/<kind>/<rest>; the services' own indexes
// (a region of "_…") are not changes anyone reads.
func split(key, prefix string) (region, kind, rest string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(key, prefix), "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[0][0] == '_' || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// addLocked numbers a change; h.mu is held. It runs on the committing
// goroutine, so it only appends.
func (h *Hub) addLocked(service, region, key string, deleted bool) {
	h.seq++
	h.appendLocked(entry{seq: h.seq, service: service, region: region, key: key, deleted: deleted, time: h.now()})
}

// appendLocked keeps e, dropping the oldest change when the ring is full;
// h.mu is held.
func (h *Hub) appendLocked(e entry) {
	if h.n == len(h.ring) {
		h.floor = max(h.floor, h.ring[h.head].seq)
		h.head = (h.head + 1) % len(h.ring)
		h.n--
	}
	h.ring[(h.head+h.n)%len(h.ring)] = e
	h.n++
}

// wakeLocked wakes the pollers; h.mu is held.
func (h *Hub) wakeLocked() {
	close(h.wake)
	h.wake = make(chan struct{})
}

// waiting counts a long poll waiting on a wake channel after answered it,
// until the returned func is called.
func (h *Hub) waiting() (done func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polls++
	if h.joined != nil {
		close(h.joined)
		h.joined = nil
	}
	return func() {
		h.mu.Lock()
		h.polls--
		h.mu.Unlock()
	}
}

// WaitPolls returns once at least n long polls wait for a change, or with
// ctx's error. A poll counted waits on a channel the next change closes,
// so a test that writes after WaitPolls knows the poll will see the write
// as it happens, not in its next answer.
func (h *Hub) WaitPolls(ctx context.Context, n int) error {
	for {
		h.mu.Lock()
		if h.polls >= n {
			h.mu.Unlock()
			return nil
		}
		if h.joined == nil {
			h.joined = make(chan struct{})
		}
		joined := h.joined
		h.mu.Unlock()
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cursor is the cursor after change seq.
func (h *Hub) cursor(seq uint64) string { return h.epoch + "." + strconv.FormatUint(seq, 10) }

// after answers the changes after cursor, the cursor after them, and a
// channel closed at the next change. reset means the cursor is from
// another run (or another database), malformed, empty or too old for the
// ring: the poller may have missed changes, and the answer starts from
// now. On a shared store a cursor ahead of this hub (from a server that
// heard of a commit first) waits for the hub to catch up.
func (h *Hub) after(cursor string) (list []entry, next string, reset bool, wake <-chan struct{}) {
	epoch, n, _ := strings.Cut(cursor, ".")
	seq, err := strconv.ParseUint(n, 10, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if epoch != h.epoch || err != nil || seq < h.floor || seq > h.seq && !h.shared {
		return nil, h.cursor(h.seq), true, h.wake
	}
	if seq >= h.seq {
		return nil, h.cursor(seq), false, h.wake
	}
	first := h.n // the oldest change after seq
	for first > 0 && h.ring[(h.head+first-1)%len(h.ring)].seq > seq {
		first--
	}
	for i := first; i < h.n; i++ {
		list = append(list, h.ring[(h.head+i)%len(h.ring)])
	}
	return list, h.cursor(h.seq), false, h.wake
}
