package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/store"
)

// The change log: one row of sealbox_changes per committed read-write
// transaction that changed keys, written in that transaction, and a
// NOTIFY on channel sealbox_changes whose payload is the row's seq
// (delivered when the transaction commits).
//
// Ordering. A sequence hands out numbers in the order transactions ask,
// not the order they commit: A takes 10, B takes 11, B commits, a follower
// reads "seq > 9", sees 11 and moves to 11; A commits 10 and the follower
// never reads it. So a transaction takes a transaction-level advisory lock
// (changeLockKey) before it draws its seq, and holds it until it commits
// or rolls back: change rows commit one at a time, in seq order, and a
// snapshot that holds seq n holds every committed seq below n. A follower
// that remembers the highest seq it has read and asks ChangesAfter for
// more can skip nothing. (A seq may be missing for good: its transaction
// rolled back after drawing it.)
//
// The price is that writers' commits, from the change row to the commit
// record, are serialized across servers. PostgreSQL serializes the commits
// of transactions that NOTIFY anyway (one lock for the notification
// queue), so the lock adds little; Batch spreads one commit over many
// calls. The alternative (record each transaction's id and have followers
// read below pg_snapshot_xmin) puts the subtlety in every follower; this
// puts it here, once.

// ChannelName is the LISTEN/NOTIFY channel of the change log.
const ChannelName = "sealbox_changes"

// ChangeRecord is one committed transaction's changes.
type ChangeRecord struct {
	// Seq orders the records: a higher seq committed later. Seqs are not
	// consecutive (a transaction that draws one may roll back).
	Seq int64
	// At is when the transaction wrote its change row, on the database's
	// clock.
	At time.Time
	// Origin is the Origin of the Store that committed it.
	Origin int64
	// Changes are the keys the transaction wrote (Deleted: its last
	// write deleted the key), in the order first written. Bookkeeping:
	// every write to the key was made under store.Bookkeeping (in a
	// Batch, each call's context counts for its own writes).
	Changes []store.Change
}

// ErrChangesPruned is wrapped by ChangesAfter's error when records after
// the asked seq have been pruned: the follower has missed changes and must
// start over (drop its caches, then follow from LatestSeq).
var ErrChangesPruned = errors.New("pgstore: the change log no longer holds the changes asked for")

// pruneBatch bounds the rows one prune deletes; pruneEvery is how many
// change rows this store writes between prunes.
const (
	pruneBatch = 1000
	pruneEvery = 256
)

// logChanges appends the change row for changes to ptx and notifies
// followers of it on commit. Nothing, if there are no changes.
func (s *Store) logChanges(ctx context.Context, ptx pgx.Tx, changes []store.Change) error {
	if len(changes) == 0 {
		return nil
	}
	keys := make([][]byte, len(changes))
	deleted := make([]bool, len(changes))
	bookkeeping := make([]bool, len(changes))
	for i, c := range changes {
		keys[i], deleted[i], bookkeeping[i] = []byte(c.Key), c.Deleted, c.Bookkeeping
	}
	// The lock, held until commit (see the ordering note above), then the
	// row: two statements that PostgreSQL runs in order, sent at once.
	b := &pgx.Batch{}
	b.Queue("SELECT pg_advisory_xact_lock($1)", changeLockKey)
	b.Queue(`WITH row AS (
		INSERT INTO sealbox_changes (seq, keys, deleted, bookkeeping, origin) VALUES (nextval('sealbox_changes_seq'), $1, $2, $3, $4) RETURNING seq
	) SELECT pg_notify('`+ChannelName+`', seq::text) FROM row`, keys, deleted, bookkeeping, s.origin)
	if err := ptx.SendBatch(ctx, b).Close(); err != nil {
		return s.failed(ctx, "log the changes of", err)
	}
	return nil
}

// afterCommit counts a committed change row and, every pruneEvery, prunes
// the change log in the background.
func (s *Store) afterCommit(logged bool) {
	if !logged || s.written.Add(1)%pruneEvery != 0 || !s.pruning.CompareAndSwap(false, true) {
		return
	}
	s.goBackground(func(ctx context.Context) {
		defer s.pruning.Store(false)
		ctx, cancel := context.WithTimeout(ctx, s.opts.StatementTimeout)
		defer cancel()
		s.PruneChanges(ctx) // failing is fine: the next prune goes on
	})
}

// goBackground runs f on its own goroutine under a context that Close
// cancels, and Close waits for it; nothing if the store is closed.
func (s *Store) goBackground(f func(ctx context.Context)) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed.Load() {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f(s.stopCtx)
	}()
	return true
}

// PruneChanges deletes up to pruneBatch of the oldest change records
// written more than Options.ChangeRetention ago, and answers how many.
// Writes call it now and then; any server may, at any time.
func (s *Store) PruneChanges(ctx context.Context) (int64, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.pool.QueryRow(ctx, `WITH gone AS (
		DELETE FROM sealbox_changes WHERE seq IN (
			SELECT seq FROM sealbox_changes WHERE at < clock_timestamp() - $1::interval ORDER BY seq LIMIT $2
		) RETURNING seq
	), mark AS (
		UPDATE sealbox_feed SET pruned_through = greatest(pruned_through, (SELECT max(seq) FROM gone))
		WHERE EXISTS (SELECT 1 FROM gone)
	) SELECT count(*) FROM gone`, s.opts.ChangeRetention, pruneBatch).Scan(&n)
	if err != nil {
		return 0, s.failed(ctx, "prune the change log in", err)
	}
	return n, nil
}

// ChangesAfter answers up to limit change records whose seq is greater
// than seq, in seq order. Ordering guarantee: a record committed after the
// answer was read has a greater seq than every record answered, so a
// follower that asks again after the last seq it got misses nothing. When
// records after seq have been pruned it fails with ErrChangesPruned.
func (s *Store) ChangesAfter(ctx context.Context, seq int64, limit int) ([]ChangeRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	// One statement, so one snapshot (READ COMMITTED takes one per
	// statement) for both the prune mark and the rows, in one round trip:
	// the mark and the rows it covers are deleted together, and the
	// ordering guarantee needs only that the rows come from one snapshot.
	// The feed's one row is joined to the page of records, or to NULLs
	// when there are none.
	rows, err := s.pool.Query(ctx, `SELECT f.pruned_through, c.seq, c.at, c.origin, c.keys, c.deleted, c.bookkeeping
		FROM sealbox_feed f LEFT JOIN LATERAL (
			SELECT seq, at, origin, keys, deleted, bookkeeping FROM sealbox_changes WHERE seq > $1 ORDER BY seq LIMIT $2
		) c ON true ORDER BY c.seq`, seq, limit)
	if err != nil {
		return nil, s.failed(ctx, "read the change log in", err)
	}
	defer rows.Close()
	var out []ChangeRecord
	for rows.Next() {
		var pruned int64
		var rseq, origin *int64
		var at *time.Time
		var keys [][]byte
		var deleted, bookkeeping []bool
		if err := rows.Scan(&pruned, &rseq, &at, &origin, &keys, &deleted, &bookkeeping); err != nil {
			return nil, s.failed(ctx, "read the change log in", err)
		}
		if seq < pruned {
			return nil, fmt.Errorf("%w: asked for the changes after %d, and those up to %d are gone", ErrChangesPruned, seq, pruned)
		}
		if rseq == nil {
			break // no records: the feed's row alone
		}
		r := ChangeRecord{Seq: *rseq, At: *at, Origin: *origin}
		r.Changes = make([]store.Change, len(keys))
		for i, k := range keys {
			r.Changes[i] = store.Change{Key: string(k), Deleted: i < len(deleted) && deleted[i], Bookkeeping: i < len(bookkeeping) && bookkeeping[i]}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.failed(ctx, "read the change log in", err)
	}
	return out, nil
}

// Origin answers this Store's origin: a random number drawn by Open that
// every change row it writes carries (ChangeRecord.Origin), so that a
// follower skips the records of its own commits, which it has heard of
// already.
func (s *Store) Origin() int64 { return s.origin }

// Identity answers the database's identity: drawn once, when the schema
// was made, the same for every server on the database. Numbers read from
// the change log (seqs) mean the same on every server with the same
// identity.
func (s *Store) Identity(ctx context.Context) (string, error) {
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	var id string
	if err := s.pool.QueryRow(ctx, "SELECT identity FROM sealbox_feed").Scan(&id); err != nil {
		return "", s.failed(ctx, "read the identity of", err)
	}
	return id, nil
}

// LatestSeq answers the seq of the latest committed change record (0 when
// there has been none): a follower starting afresh follows from it.
func (s *Store) LatestSeq(ctx context.Context) (int64, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT greatest((SELECT max(seq) FROM sealbox_changes), (SELECT pruned_through FROM sealbox_feed), 0)`).Scan(&seq)
	if err != nil {
		return 0, s.failed(ctx, "read the change log in", err)
	}
	return seq, nil
}

// Listen opens a connection of its own, LISTENs on the change log's
// channel, and answers a channel that receives the seq of each change
// record committed from then on (by any server). It returns once the
// LISTEN is in place: a follower calls Listen, then ChangesAfter from its
// position, and misses nothing.
//
// The channel holds only the newest seq: a slow reader skips
// notifications, never records (it reads those with ChangesAfter). It is
// closed when ctx is done, the store closes, or the connection is lost;
// reconnecting is the caller's: call Listen again, then ChangesAfter to
// catch up. A silently dead network is noticed only by TCP keepalive, so a
// follower also polls ChangesAfter now and then.
func (s *Store) Listen(ctx context.Context) (<-chan int64, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	cc := s.pool.Config().ConnConfig // a copy
	// Named apart from the pool's connections, so that an administrator
	// (or a test) sees which connection is the follower's.
	cc.RuntimeParams["application_name"] += "-feed"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, s.failed(ctx, "listen for the changes of", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+ChannelName); err != nil {
		conn.Close(context.Background())
		return nil, s.failed(ctx, "listen for the changes of", err)
	}
	ch := make(chan int64, 1)
	started := s.goBackground(func(stop context.Context) {
		defer close(ch)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			conn.Close(closeCtx)
		}()
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			seq, err := strconv.ParseInt(n.Payload, 10, 64)
			if err != nil {
				continue
			}
			select { // keep only the newest: this goroutine is the only sender
			case <-ch:
			default:
			}
			ch <- seq
		}
	})
	if !started {
		conn.Close(context.Background())
		return nil, store.ErrClosed
	}
	return ch, nil
}
