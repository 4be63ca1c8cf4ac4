// Package postgres is the built-in PostgreSQL rotators of Secrets
// Manager rotation, and the module's only user of pgx.
//
// They follow AWS's rotation function templates
// for PostgreSQL, which AWS's managed rotation deploys for a database
// secret: SecretsManagerRDSPostgreSQLRotationSingleUser ("single user" in
// the console) and SecretsManagerRDSPostgreSQLRotationMultiUser
// ("alternating users"). Their names say the same, with the sealbox-
// prefix of the built-in rotators.
//
// The secret's SecretString is the JSON AWS uses for a database secret:
//
//	{"engine": "postgres", "host": "...", "port": 5432, "username": "...",
//	 "password": "...", "dbname": "postgres", "ssl": true|false,
//	 "masterarn": "arn:...:secret:..."}
//
// port (a number or a numeric string) defaults to 5432, dbname to
// "postgres"; ssl, as in the templates, is absent (TLS if the server offers
// it, else plain: sslmode=prefer), true (sslmode=require) or false
// (sslmode=disable). masterarn, for alternating users only, names a secret
// of the same account and region whose credentials ({"username",
// "password", "host", "port"}) may create and alter roles.
//
// The steps, as the templates run them:
//
//   - createSecret copies AWSCURRENT with a new 32-character password
//     (without the characters SQL strings, URLs and connection strings trip
//     on) as AWSPENDING; alternating users also switch the username between
//     <username> and <username>_clone.
//   - setSecret does nothing if the pending credentials already log in.
//     Single user: it logs in with AWSCURRENT (or, failing that,
//     AWSPREVIOUS) and changes its own password. Alternating users: it
//     checks that AWSCURRENT logs in (so the master is never used for a
//     role whose credentials the secret does not hold), logs in with the
//     master secret's AWSCURRENT on the same host and changes the pending
//     user's password, creating it first (LOGIN, and a member of the
//     current user, so it has its privileges) if it does not exist.
//   - testSecret logs in with AWSPENDING and runs SELECT 1.
//   - finishSecret moves AWSCURRENT to the pending version (the old one
//     becomes AWSPREVIOUS).
//
// A failed step leaves AWSCURRENT as it was, and the engine retries the
// same rotation: each step is idempotent. Alternating users never change
// the AWSCURRENT user's password, so it keeps working throughout. Single
// user, as in AWS, changes it in setSecret: should testSecret or
// finishSecret then fail, the retry's setSecret finds that AWSPENDING
// already logs in and the rotation completes; setSecret also falls back
// to AWSPREVIOUS to log in. Role names are quoted as identifiers
// (pgx.Identifier) and the password as a literal by the server
// (quote_literal), never pasted.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/secrets/password"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	// SingleUser and MultiUser are the function names of the rotators.
	SingleUser = "sealbox-postgresql-single-user"
	MultiUser  = "sealbox-postgresql-multi-user"

	pgConnectTimeout = 5 * time.Second
	// pgExclude are the characters a generated database password lacks:
	// AWS's /@"'\ and those that need escaping in a URL or a keyword=value
	// connection string.
	pgExclude = "/@\"'\\:;?#[]{}%&+=,`<>|$ "
	pgMaxName = 63 // NAMEDATALEN-1: PostgreSQL's longest role name, in bytes
	pgClone   = "_clone"
)

// Rotator is a built-in PostgreSQL rotator.
type Rotator struct {
	p         rotation.Password // the secret's values and labels
	multiUser bool
}

// New returns the single-user rotator, or with multiUser the
// alternating-users rotator, of the secrets s.
func New(s rotation.Secrets, multiUser bool) *Rotator {
	return &Rotator{p: rotation.Password{Secrets: s}, multiUser: multiUser}
}

var _ rotation.MasterUser = (*Rotator)(nil)

// pgCreds are the connection fields of a database secret.
type pgCreds struct {
	host, username, password, dbname string
	port                             int
	sslmode                          string
	masterARN                        string
}

// parseCreds reads the fields of obj; a master secret need not say its
// engine.
func parseCreds(obj map[string]any, master bool) (*pgCreds, error) {
	str := func(k string) (string, error) {
		v, ok := obj[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("the secret's %q field is not a string", k)
		}
		return s, nil
	}
	c := &pgCreds{port: 5432, dbname: "postgres", sslmode: "prefer"}
	var err error
	var engine string
	for _, f := range []struct {
		key  string
		into *string
	}{{"engine", &engine}, {"host", &c.host}, {"username", &c.username}, {"password", &c.password}, {"masterarn", &c.masterARN}} {
		if *f.into, err = str(f.key); err != nil {
			return nil, err
		}
	}
	if !master && engine != "postgres" {
		return nil, errors.New(`the secret's "engine" must be "postgres" for the PostgreSQL rotators`)
	}
	for _, k := range []string{"host", "username", "password"} {
		if s, _ := str(k); s == "" {
			return nil, fmt.Errorf("the secret lacks the %q field", k)
		}
	}
	if db, err := str("dbname"); err != nil {
		return nil, err
	} else if db != "" {
		c.dbname = db
	}
	switch v := obj["port"].(type) {
	case nil:
	case json.Number:
		n, err := strconv.Atoi(v.String())
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New(`the secret's "port" is not a port number`)
		}
		c.port = n
	case string:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New(`the secret's "port" is not a port number`)
		}
		c.port = n
	default:
		return nil, errors.New(`the secret's "port" is not a port number`)
	}
	switch v := obj["ssl"].(type) {
	case bool:
		c.sslmode = map[bool]string{true: "require", false: "disable"}[v]
	case string:
		switch strings.ToLower(v) {
		case "true":
			c.sslmode = "require"
		case "false":
			c.sslmode = "disable"
		}
	}
	return c, nil
}

// altUsername is the alternating user of name: name_clone for name, and
// name for name_clone.
func altUsername(name string) (string, error) {
	if base, ok := strings.CutSuffix(name, pgClone); ok && base != "" {
		return base, nil
	}
	if len(name)+len(pgClone) > pgMaxName {
		return "", fmt.Errorf("unable to clone the user: the username with %s appended would exceed %d characters", pgClone, pgMaxName)
	}
	return name + pgClone, nil
}

// quoteConn quotes a keyword=value connection string value.
func quoteConn(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// connect logs in with c, with a short connect timeout. Its errors name
// the user and the server, never the password.
func (c *pgCreds) connect(ctx context.Context) (*pgx.Conn, error) {
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s connect_timeout=%d",
		quoteConn(c.host), c.port, quoteConn(c.username), quoteConn(c.password), quoteConn(c.dbname), c.sslmode, int(pgConnectTimeout/time.Second))
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("the secret's connection settings are not valid") // the parser's error may quote the password
	}
	cfg.ConnectTimeout = pgConnectTimeout
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec // no server-side statement cache
	cfg.RuntimeParams["application_name"] = "sealbox-rotation"
	ctx, cancel := context.WithTimeout(ctx, 2*pgConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot log in to PostgreSQL at %s as %q: %w", net.JoinHostPort(c.host, strconv.Itoa(c.port)), c.username, err)
	}
	return conn, nil
}

// check logs in with c and runs SELECT 1.
func (c *pgCreds) check(ctx context.Context) error {
	conn, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("SELECT 1 as %q: %w", c.username, err)
	}
	return nil
}

// setPassword sets role's password in transaction q, creating the role
// (LOGIN) first if create. PostgreSQL's ALTER ROLE takes no bind parameter: the role
// is quoted as an identifier, and the server quotes the password as a
// literal (quote_literal, whatever standard_conforming_strings says).
func setPassword(ctx context.Context, q pgx.Tx, role, password string, create bool) error {
	var lit string
	if err := q.QueryRow(ctx, "SELECT quote_literal($1::text)", password).Scan(&lit); err != nil {
		return err
	}
	stmt := "ALTER ROLE " + pgx.Identifier{role}.Sanitize() + " WITH PASSWORD " + lit
	if create {
		stmt = "CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " WITH LOGIN PASSWORD " + lit
	}
	if _, err := q.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("changing the password of %q: %w", role, err)
	}
	return nil
}

// MasterARN is RotateSecret's check for the alternating-users rotator:
// the master secret the secret's AWSCURRENT names (masterarn), which
// RotateSecret then checks its caller may read, so that configuring a
// rotation never lends the master's power to someone who could not use
// it. The single-user rotator uses no master: "".
func (r *Rotator) MasterARN(ctx context.Context, sec *rotation.Secret) (string, error) {
	if !r.multiUser {
		return "", nil
	}
	c := sec.Staged(rotation.StageCurrent)
	if c == nil {
		return "", errInvalidRequest("The secret has no AWSCURRENT version for the alternating-users rotator to start from.")
	}
	creds, err := r.versionCreds(ctx, sec, c, false)
	if err != nil {
		if _, ok := sealbox.AsError(err); ok {
			return "", err
		}
		return "", errInvalidRequest("The secret's AWSCURRENT value is not a database secret the alternating-users rotator can use: %v.", err)
	}
	if creds.masterARN == "" {
		return "", errInvalidRequest("The secret's AWSCURRENT value lacks the \"masterarn\" field the alternating-users rotator needs.")
	}
	return creds.masterARN, nil
}

func errInvalidRequest(format string, args ...any) error {
	return sealbox.Errorf("InvalidRequestException", format, args...)
}

// versionCreds reads and parses version v of sec.
func (r *Rotator) versionCreds(ctx context.Context, sec *rotation.Secret, v *rotation.Version, master bool) (*pgCreds, error) {
	obj, err := r.p.ReadJSON(ctx, sec, v)
	if err != nil {
		return nil, err
	}
	return parseCreds(obj, master)
}

// state reads the secret of ev with its AWSCURRENT and pending
// credentials; done reports that the token's version is already
// AWSCURRENT (nothing left to do).
func (r *Rotator) state(ctx context.Context, ev *rotation.Event) (sec *rotation.Secret, cur, pending *pgCreds, done bool, err error) {
	sec, err = r.p.Secret(ctx, ev)
	if err != nil {
		return nil, nil, nil, false, err
	}
	v := sec.Version(ev.ClientRequestToken)
	if v == nil {
		return nil, nil, nil, false, fmt.Errorf("version %s does not exist", ev.ClientRequestToken)
	}
	if v.Has(rotation.StageCurrent) {
		return sec, nil, nil, true, nil
	}
	if !v.Has(rotation.StagePending) {
		return nil, nil, nil, false, fmt.Errorf("version %s is not labelled AWSPENDING", v.ID)
	}
	c := sec.Staged(rotation.StageCurrent)
	if c == nil {
		return nil, nil, nil, false, errors.New("the secret has no AWSCURRENT version")
	}
	if cur, err = r.versionCreds(ctx, sec, c, false); err != nil {
		return nil, nil, nil, false, fmt.Errorf("AWSCURRENT: %w", err)
	}
	if pending, err = r.versionCreds(ctx, sec, v, false); err != nil {
		return nil, nil, nil, false, fmt.Errorf("AWSPENDING: %w", err)
	}
	return sec, cur, pending, false, nil
}

func (r *Rotator) CreateSecret(ctx context.Context, ev *rotation.Event) error {
	return r.p.CreatePending(ctx, ev, func(obj map[string]any) error {
		c, err := parseCreds(obj, false)
		if err != nil {
			return err
		}
		if r.multiUser {
			if c.masterARN == "" {
				return errors.New(`the secret lacks the "masterarn" field the alternating-users rotator needs`)
			}
			alt, err := altUsername(c.username)
			if err != nil {
				return err
			}
			obj["username"] = alt
		}
		pw, err := password.Generate(password.Options{Length: password.DefaultLength, ExcludeCharacters: pgExclude, RequireEachIncludedType: true})
		if err != nil {
			return err
		}
		obj["password"] = pw
		return nil
	})
}

func (r *Rotator) SetSecret(ctx context.Context, ev *rotation.Event) error {
	sec, cur, pending, done, err := r.state(ctx, ev)
	if err != nil || done {
		return err
	}
	if pending.check(ctx) == nil {
		return nil // set by an earlier attempt
	}
	if pending.host != cur.host || pending.port != cur.port {
		return fmt.Errorf("the pending version's host %s is not the current host %s", pending.host, cur.host)
	}
	if !r.multiUser {
		return r.setSingle(ctx, sec, cur, pending)
	}
	return r.setMulti(ctx, sec, cur, pending)
}

// setSingle logs in as the user (with AWSCURRENT, else AWSPREVIOUS) and
// changes its own password.
func (r *Rotator) setSingle(ctx context.Context, sec *rotation.Secret, cur, pending *pgCreds) error {
	if pending.username != cur.username {
		return fmt.Errorf("the pending version's user %q is not the current user %q", pending.username, cur.username)
	}
	conn, err := cur.connect(ctx)
	if err != nil {
		prev := sec.Staged(rotation.StagePrevious)
		if prev == nil {
			return err
		}
		pc, perr := r.versionCreds(ctx, sec, prev, false)
		if perr != nil || pc.username != cur.username || pc.host != cur.host || pc.port != cur.port {
			return err
		}
		pc.dbname, pc.sslmode = cur.dbname, cur.sslmode
		if conn, perr = pc.connect(ctx); perr != nil {
			return fmt.Errorf("neither AWSCURRENT nor AWSPREVIOUS logs in: %w", err)
		}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return setPassword(ctx, tx, pending.username, pending.password, false)
	})
}

// setMulti checks AWSCURRENT, then, as the master, sets the password of the
// pending user, creating it as a member of the current user if need be.
func (r *Rotator) setMulti(ctx context.Context, sec *rotation.Secret, cur, pending *pgCreds) error {
	if alt, err := altUsername(cur.username); err != nil || alt != pending.username {
		return fmt.Errorf("the pending version's user %q is neither the current user %q nor its clone", pending.username, cur.username)
	}
	// Before the master acts, the AWSCURRENT credentials must be valid: the
	// secret must hold the role it asks the master to clone.
	if err := cur.check(ctx); err != nil {
		return fmt.Errorf("AWSCURRENT: %w", err)
	}
	if cur.masterARN == "" {
		return errors.New(`the secret lacks the "masterarn" field`)
	}
	master, err := r.master(ctx, sec, cur.masterARN)
	if err != nil {
		return err
	}
	if master.host != cur.host || master.port != cur.port {
		return fmt.Errorf("the master secret's host %s is not the secret's host %s", master.host, cur.host)
	}
	master.dbname = cur.dbname
	conn, err := master.connect(ctx)
	if err != nil {
		return fmt.Errorf("master secret: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", pending.username).Scan(&exists); err != nil {
			return err
		}
		if err := setPassword(ctx, tx, pending.username, pending.password, !exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		_, err := tx.Exec(ctx, "GRANT "+pgx.Identifier{cur.username}.Sanitize()+" TO "+pgx.Identifier{pending.username}.Sanitize())
		return err
	})
}

// master reads the AWSCURRENT credentials of the master secret arn, which
// must be in the rotated secret's account and region and be the master
// RotateSecret checked its caller may read.
func (r *Rotator) master(ctx context.Context, rotated *rotation.Secret, arn string) (*pgCreds, error) {
	sec, err := r.p.Secrets.Find(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || err == nil && sec.Deleted() {
		return nil, fmt.Errorf("the master secret %s does not exist in the secret's account and region", arn)
	}
	if err != nil {
		return nil, err
	}
	if rotated.Rotation == nil || rotated.Rotation.Master != sec.ARN {
		return nil, fmt.Errorf("the secret's masterarn %s is not the master secret RotateSecret was called with; call RotateSecret again so that sealbox checks that its caller may read it", arn)
	}
	v := sec.Staged(rotation.StageCurrent)
	if v == nil {
		return nil, errors.New("the master secret has no AWSCURRENT version")
	}
	c, err := r.versionCreds(ctx, sec, v, true)
	if err != nil {
		return nil, fmt.Errorf("master secret: %w", err)
	}
	return c, nil
}

// TestSecret logs in with the pending version. On a version already
// AWSCURRENT (a retried finished rotation, or RotateSecret's trial), it
// logs in with that version and, for alternating users, with the master.
func (r *Rotator) TestSecret(ctx context.Context, ev *rotation.Event) error {
	sec, _, pending, done, err := r.state(ctx, ev)
	if err != nil {
		return err
	}
	if !done {
		return pending.check(ctx)
	}
	cur, err := r.versionCreds(ctx, sec, sec.Version(ev.ClientRequestToken), false)
	if err != nil {
		return err
	}
	if err := cur.check(ctx); err != nil {
		return fmt.Errorf("AWSCURRENT: %w", err)
	}
	if !r.multiUser {
		return nil
	}
	master, err := r.master(ctx, sec, cur.masterARN)
	if err != nil {
		return err
	}
	master.dbname = cur.dbname
	if err := master.check(ctx); err != nil {
		return fmt.Errorf("master secret: %w", err)
	}
	return nil
}

func (r *Rotator) FinishSecret(ctx context.Context, ev *rotation.Event) error {
	return r.p.FinishSecret(ctx, ev)
}
