package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is wrapped by Open's error when the database was
// migrated by a newer sealbox than this one: this code does not know what
// the newer schema means, so it must not write to it.
var ErrSchemaTooNew = errors.New("upgrade sealbox")

// The advisory lock keys sealbox takes, transaction-level, in its
// database. Other sealbox locks (leader election) must pick other keys.
const (
	migrateLockKey int64 = 0x5ea1b0c5_0000_0001 // held while migrating
	changeLockKey  int64 = 0x5ea1b0c5_0000_0002 // held from a change row's insert to its commit
)

// migrations[i] brings the schema from version i to i+1. Append only:
// a migration, once released, never changes.
var migrations = []string{
	// 1: the records; the change log (see changes.go).
	`CREATE TABLE sealbox_kv (
		key   bytea PRIMARY KEY,
		value bytea NOT NULL
	);
	CREATE SEQUENCE sealbox_changes_seq AS bigint;
	CREATE TABLE sealbox_changes (
		seq     bigint PRIMARY KEY,
		at      timestamptz NOT NULL DEFAULT clock_timestamp(),
		keys        bytea[] NOT NULL,
		deleted     boolean[] NOT NULL,
		bookkeeping boolean[] NOT NULL
	);
	CREATE TABLE sealbox_feed (
		pruned_through bigint NOT NULL
	);
	INSERT INTO sealbox_feed (pruned_through) VALUES (0);`,
	// 2: each change row names the Store that wrote it (Store.Origin), so
	// that a server following the log skips its own commits; and the
	// database's identity, drawn once (Store.Identity), that cursors
	// numbered by the log's seq carry from one server to another.
	`ALTER TABLE sealbox_changes ADD COLUMN origin bigint NOT NULL DEFAULT 0;
	ALTER TABLE sealbox_feed ADD COLUMN identity text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text);`,
}

// SchemaVersion is the schema version this code knows and migrates to.
func SchemaVersion() int { return len(migrations) }

// migrate brings the database's schema to SchemaVersion and reports
// whether it ran any migration. sealbox_schema lists the versions applied,
// one row each.
//
// Several servers starting at once on an empty database: each takes the
// migration lock (pg_advisory_xact_lock) in a READ COMMITTED transaction
// before it reads the version, so one migrates while the others wait; when
// the lock is theirs, each statement's fresh snapshot sees the migrated
// schema and they have nothing to do. A database already at this version
// is checked without the lock (and without needing the right to create
// tables).
func migrate(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	known := SchemaVersion()
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('sealbox_schema') IS NOT NULL").Scan(&exists); err != nil {
		return false, schemaErr(ctx, err)
	}
	if exists {
		v, err := schemaVersion(ctx, pool)
		if err != nil {
			return false, err
		}
		if v > known {
			return false, tooNew(v, known)
		}
		if v == known {
			return false, nil
		}
	}
	ptx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return false, schemaErr(ctx, err)
	}
	defer rollback(ptx)
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
		return false, schemaErr(ctx, err)
	}
	if _, err := ptx.Exec(ctx, `CREATE TABLE IF NOT EXISTS sealbox_schema (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return false, schemaErr(ctx, err)
	}
	v, err := schemaVersion(ctx, ptx)
	if err != nil {
		return false, err
	}
	if v > known {
		return false, tooNew(v, known)
	}
	start := v
	for ; v < known; v++ {
		if _, err := ptx.Exec(ctx, migrations[v]); err != nil {
			return false, fmt.Errorf("failed to migrate the database's schema to version %d: %w", v+1, unavailable(err))
		}
		if _, err := ptx.Exec(ctx, "INSERT INTO sealbox_schema (version) VALUES ($1)", v+1); err != nil {
			return false, schemaErr(ctx, err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		return false, schemaErr(ctx, err)
	}
	// Another server may have migrated while this one waited for the
	// lock: then this one ran nothing.
	return start < known, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM sealbox_schema").Scan(&v); err != nil {
		return 0, schemaErr(ctx, err)
	}
	return v, nil
}

func tooNew(v, known int) error {
	return fmt.Errorf("the database's schema is version %d, newer than this server knows (%d): %w", v, known, ErrSchemaTooNew)
}

func schemaErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("failed to check the database's schema: %w", unavailable(err))
}
