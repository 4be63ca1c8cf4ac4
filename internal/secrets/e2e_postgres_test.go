package secrets_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

const (
	pgSingleARN = "arn:aws:lambda:us-east-1:123456789012:function:sealbox-postgresql-single-user"
	pgMultiARN  = "arn:aws:lambda:us-east-1:123456789012:function:sealbox-postgresql-multi-user"
)

// wantAuthFailure fails unless err is PostgreSQL refusing the password.
func wantAuthFailure(t *testing.T, what string, err error) {
	t.Helper()
	if !pgtest.IsAuthFailure(err) {
		t.Fatalf("%s: err = %v, want password authentication failed (28P01)", what, err)
	}
}

// dbSecret is the JSON of a database secret, as AWS's templates read it.
type dbSecret struct {
	Engine    string `json:"engine"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	DBName    string `json:"dbname,omitempty"`
	MasterARN string `json:"masterarn,omitempty"`
}

func pgSecret(c *pgtest.Cluster, user, password string) dbSecret {
	return dbSecret{Engine: "postgres", Host: "127.0.0.1", Port: c.Port, Username: user, Password: password, DBName: "postgres"}
}

func (d dbSecret) String() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// stagedDB answers the database secret a label is on, and its version.
func stagedDB(t *testing.T, c *secretsmanager.Client, id, stage string) (dbSecret, string) {
	t.Helper()
	v, ver := staged(t, c, id, stage)
	var d dbSecret
	if v != "" {
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			t.Fatalf("%s of %s is not a database secret: %v", stage, id, err)
		}
	}
	return d, ver
}

// rotateNow starts a rotation with lambdaARN, waits for the engine to run
// it, and checks that AWSCURRENT is on its version.
func rotateNow(t *testing.T, s *sealtest.Server, id, lambdaARN string) string {
	t.Helper()
	c := s.SecretsManager()
	out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret "+id)(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String(id), RotationLambdaARN: aws.String(lambdaARN)}))
	s.WaitRotations()
	if _, v := staged(t, c, id, "AWSCURRENT"); v != *out.VersionId {
		var why []string
		for _, e := range rotationEvents(t, s, id) {
			if m, ok := e["errorMessage"].(string); ok {
				why = append(why, m)
			}
		}
		t.Fatalf("rotation of %s did not complete: %v", id, why)
	}
	return *out.VersionId
}

// TestRotatePostgres runs the built-in PostgreSQL rotators against a real,
// throwaway PostgreSQL cluster: single user, alternating users, and a
// rotation while the database is down.
func TestRotatePostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	s := sealtest.Start(t)
	c := s.SecretsManager()

	t.Run("SingleUser", func(t *testing.T) {
		// A role name that needs quoting: it must reach PostgreSQL intact.
		const role, first = `svc "single" o'neil; --`, "single-first-pass-1"
		pg.Exec(`CREATE ROLE ` + pgx.Identifier{role}.Sanitize() + ` LOGIN PASSWORD 'single-first-pass-1'`)
		old := pgSecret(pg, role, first)
		create(t, c, "pg/single", old.String())
		token := rotateNow(t, s, "pg/single", pgSingleARN)

		cur, _ := stagedDB(t, c, "pg/single", "AWSCURRENT")
		if cur.Username != role || cur.Password == first || len(cur.Password) != 32 || cur.Host != old.Host || cur.Port != old.Port || cur.Engine != "postgres" {
			t.Fatalf("AWSCURRENT after rotation = user %q, %d-character password; want the same user and a new 32-character password", cur.Username, len(cur.Password))
		}
		if strings.ContainsAny(cur.Password, `/@"'\:;?#[]{}%&+=,`+"`<>|$ ") {
			t.Fatalf("the new password holds a character connection strings trip on")
		}
		if err := pg.Login(role, cur.Password); err != nil {
			t.Fatalf("the new AWSCURRENT password does not log in: %v", err)
		}
		wantAuthFailure(t, "the old password", pg.Login(role, first))
		if prev, _ := stagedDB(t, c, "pg/single", "AWSPREVIOUS"); prev != old {
			t.Fatalf("AWSPREVIOUS = %+v, want the old value", prev)
		}
		if _, p := staged(t, c, "pg/single", "AWSPENDING"); p != "" {
			t.Fatalf("AWSPENDING left on %s after rotation %s", p, token)
		}
		raw, _ := json.Marshal(sealtest.AuditEvents(t, s.Dir))
		if strings.Contains(string(raw), cur.Password) || strings.Contains(string(raw), first) {
			t.Fatalf("a password reached the audit trail")
		}
	})

	t.Run("AlternatingUsers", func(t *testing.T) {
		const first = "multi-first-pass-1"
		pg.Exec(`CREATE ROLE app_multi LOGIN PASSWORD 'multi-first-pass-1'`,
			`CREATE TABLE multi_data (x int)`, `INSERT INTO multi_data VALUES (42)`, `GRANT SELECT ON multi_data TO app_multi`)
		master := pgSecret(pg, "postgres", pg.SuperPassword)
		m := create(t, c, "pg/master", master.String())
		old := pgSecret(pg, "app_multi", first)
		old.MasterARN = *m.ARN
		multi := create(t, c, "pg/multi", old.String())

		// Configuring the rotation needs the right to read the master: a
		// role that may rotate pg/multi but not read pg/master is refused.
		rc, _, _ := roleClients(t, s, "rotator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:RotateSecret","Resource":"*"}]}`)
		_, err := rc.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: multi.ARN, RotationLambdaARN: aws.String(pgMultiARN), RotateImmediately: aws.Bool(false)})
		if msg := wantAPIError(t, "RotateSecret without the right to read the master", err, "AccessDeniedException"); !strings.Contains(msg, "secretsmanager:GetSecretValue") || !strings.Contains(msg, *m.ARN) {
			t.Fatalf("refusal = %q, want it to name the action and the master secret", msg)
		}

		// RotateImmediately false: only the trial runs, testSecret on
		// AWSCURRENT, which logs in as the user and as the master.
		must[*secretsmanager.RotateSecretOutput](t, "RotateSecret trial")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
			SecretId: aws.String("pg/multi"), RotationLambdaARN: aws.String(pgMultiARN), RotateImmediately: aws.Bool(false),
			RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}}))
		s.WaitRotations()
		if countEvents(rotationEvents(t, s, "pg/multi"), "TestRotationSucceeded") != 1 {
			t.Fatalf("the trial did not succeed: %v", rotationEvents(t, s, "pg/multi"))
		}
		if cur, v := stagedDB(t, c, "pg/multi", "AWSCURRENT"); cur != old || v != *multi.VersionId || countEvents(rotationEvents(t, s, "pg/multi"), "RotationStarted") != 0 {
			t.Fatalf("the trial changed the secret")
		}

		// First rotation: the clone is created with the user's privileges.
		rotateNow(t, s, "pg/multi", pgMultiARN)
		cur, _ := stagedDB(t, c, "pg/multi", "AWSCURRENT")
		if cur.Username != "app_multi_clone" || cur.MasterARN != *m.ARN || len(cur.Password) != 32 {
			t.Fatalf("AWSCURRENT after the first rotation = user %q, masterarn %q", cur.Username, cur.MasterARN)
		}
		if err := pg.Login(cur.Username, cur.Password); err != nil {
			t.Fatalf("the clone does not log in: %v", err)
		}
		if err := pg.Login("app_multi", first); err != nil {
			t.Fatalf("the previous user no longer logs in: %v", err)
		}
		cfg, _ := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable", pg.Port))
		cfg.User, cfg.Password = cur.Username, cur.Password
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var x int
		err = conn.QueryRow(ctx, "SELECT x FROM multi_data").Scan(&x)
		conn.Close(ctx)
		if err != nil || x != 42 {
			t.Fatalf("the clone lacks the user's privileges: %v", err)
		}
		if prev, _ := stagedDB(t, c, "pg/multi", "AWSPREVIOUS"); prev != old {
			t.Fatalf("AWSPREVIOUS = %+v, want the old value", prev)
		}

		// Second rotation: back to the original user, with a new password;
		// the clone (now AWSPREVIOUS) keeps working.
		clone := cur
		rotateNow(t, s, "pg/multi", pgMultiARN)
		cur, _ = stagedDB(t, c, "pg/multi", "AWSCURRENT")
		if cur.Username != "app_multi" || cur.Password == first {
			t.Fatalf("AWSCURRENT after the second rotation = user %q", cur.Username)
		}
		if err := pg.Login(cur.Username, cur.Password); err != nil {
			t.Fatalf("the new AWSCURRENT does not log in: %v", err)
		}
		wantAuthFailure(t, "the user's first password", pg.Login("app_multi", first))
		if err := pg.Login(clone.Username, clone.Password); err != nil {
			t.Fatalf("the previous user (the clone) no longer logs in: %v", err)
		}
		if prev, _ := stagedDB(t, c, "pg/multi", "AWSPREVIOUS"); prev != clone {
			t.Fatalf("AWSPREVIOUS is not the clone's credentials")
		}
		if mv, _ := stagedDB(t, c, "pg/master", "AWSCURRENT"); mv != master {
			t.Fatalf("the master secret changed")
		}

		// The rotation uses only the master RotateSecret checked: when the
		// secret names another by the time a scheduled rotation runs, the
		// rotation refuses it.
		other := create(t, c, "pg/other-master", master.String())
		must[*secretsmanager.RotateSecretOutput](t, "RotateSecret trial 2")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
			SecretId: aws.String("pg/multi"), RotateImmediately: aws.Bool(false)}))
		s.WaitRotations()
		if countEvents(rotationEvents(t, s, "pg/multi"), "TestRotationSucceeded") != 2 {
			t.Fatalf("the second trial did not succeed")
		}
		swapped := cur
		swapped.MasterARN = *other.ARN
		must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("pg/multi"), SecretString: aws.String(swapped.String())}))
		sweepAfter(s, 31*24*time.Hour)
		if countEvents(rotationEvents(t, s, "pg/multi"), "RotationFailed") < 1 {
			t.Fatalf("a rotation with a master secret nobody checked did not fail")
		}
		var why string
		for _, e := range rotationEvents(t, s, "pg/multi") {
			if e["eventName"] == "RotationFailed" {
				why, _ = e["errorMessage"].(string)
			}
		}
		if !strings.Contains(why, "not the master secret RotateSecret was called with") {
			t.Fatalf("RotationFailed = %q", why)
		}
		if v, _ := stagedDB(t, c, "pg/multi", "AWSCURRENT"); v != swapped {
			t.Fatalf("AWSCURRENT moved after the refused rotation")
		}
	})

	t.Run("DatabaseDown", func(t *testing.T) {
		const first = "down-first-pass-1"
		pg.Exec(`CREATE ROLE app_down LOGIN PASSWORD 'down-first-pass-1'`)
		old := pgSecret(pg, "app_down", first)
		created := create(t, c, "pg/down", old.String())
		pg.Stop()
		out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
			SecretId: aws.String("pg/down"), RotationLambdaARN: aws.String(pgSingleARN)}))
		token := *out.VersionId
		s.WaitRotations()
		if countEvents(rotationEvents(t, s, "pg/down"), "RotationFailed") < 1 {
			t.Fatalf("the rotation did not fail with the database down")
		}
		var why string
		for _, e := range rotationEvents(t, s, "pg/down") {
			if add := e["additionalEventData"].(map[string]any); add["step"] == "setSecret" && add["outcome"] == "Failed" {
				why, _ = e["errorMessage"].(string)
			}
		}
		if !strings.Contains(why, "cannot log in to PostgreSQL") {
			t.Fatalf("setSecret failure = %q, want the login failure", why)
		}
		if cur, v := stagedDB(t, c, "pg/down", "AWSCURRENT"); cur != old || v != *created.VersionId {
			t.Fatalf("AWSCURRENT moved after a failed rotation")
		}
		if _, v := staged(t, c, "pg/down", "AWSPENDING"); v != token {
			t.Fatalf("AWSPENDING = %q, want the rotation's version %s kept", v, token)
		}

		// The database is back: the retry after the backoff completes.
		pg.Start()
		if err := pg.Login("app_down", first); err != nil {
			t.Fatalf("AWSCURRENT no longer logs in after the failed rotation: %v", err)
		}
		sweepAfter(s, 2*time.Hour)
		if _, v := staged(t, c, "pg/down", "AWSCURRENT"); v != token {
			t.Fatalf("the rotation did not complete after the database came back")
		}
		cur, _ := stagedDB(t, c, "pg/down", "AWSCURRENT")
		if err := pg.Login("app_down", cur.Password); err != nil {
			t.Fatalf("the new AWSCURRENT password does not log in: %v", err)
		}
		wantAuthFailure(t, "the old password", pg.Login("app_down", first))
	})
}
