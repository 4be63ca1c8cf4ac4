package secrets_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

const notOnReplica = "Operation not permitted on a replica secret. Call must be made in primary secret's region."

func describe(t *testing.T, c *secretsmanager.Client, id string) *secretsmanager.DescribeSecretOutput {
	t.Helper()
	return must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret "+id)(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)}))
}

func wantStatus(t *testing.T, call string, got []types.ReplicationStatusType, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: ReplicationStatus = %+v, want %v", call, got, want)
	}
	for _, st := range got {
		if w, ok := want[aws.ToString(st.Region)]; !ok || string(st.Status) != w {
			t.Fatalf("%s: ReplicationStatus %s = %s (%s), want %v", call, aws.ToString(st.Region), st.Status, aws.ToString(st.StatusMessage), want)
		}
	}
}

// TestReplication is moto's replication checklist over the wire: a secret
// created with a replica, the replica's description and value, a new
// version and a label move replicated, writes to the replica refused,
// ListSecrets and its primary-region filter, a second replica added and
// removed, DeleteSecret refused while replicas remain, and a replica
// promoted by StopReplicationToReplica.
func TestReplication(t *testing.T) {
	s := sealtest.Start(t)
	use1, euw1, usw2 := s.SecretsManager(), s.SecretsManagerIn("eu-west-1"), s.SecretsManagerIn("us-west-2")

	out := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(use1.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("dup"), SecretString: aws.String("s1"), Description: aws.String("replicated"),
		Tags:              []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	wantStatus(t, "CreateSecret", out.ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	if k := aws.ToString(out.ReplicationStatus[0].KmsKeyId); k != "alias/aws/secretsmanager" {
		t.Fatalf("KmsKeyId = %q", k)
	}
	replicaARN := strings.Replace(*out.ARN, ":us-east-1:", ":eu-west-1:", 1)

	prim := describe(t, use1, *out.ARN)
	if aws.ToString(prim.PrimaryRegion) != "us-east-1" {
		t.Fatalf("primary PrimaryRegion = %q", aws.ToString(prim.PrimaryRegion))
	}
	wantStatus(t, "DescribeSecret primary", prim.ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	rep := describe(t, euw1, replicaARN)
	if *rep.ARN != replicaARN || *rep.Name != "dup" || aws.ToString(rep.PrimaryRegion) != "us-east-1" ||
		aws.ToString(rep.Description) != "replicated" || len(rep.Tags) != 1 || len(rep.ReplicationStatus) != 0 {
		t.Fatalf("replica DescribeSecret = %+v", rep)
	}
	if len(rep.VersionIdsToStages) != 1 || !slices.Equal(rep.VersionIdsToStages[*out.VersionId], []string{"AWSCURRENT"}) {
		t.Fatalf("replica versions = %v", rep.VersionIdsToStages)
	}
	if v := value(t, euw1, "dup"); v != "s1" {
		t.Fatalf("replica value = %q", v)
	}
	if st := describe(t, use1, "dup").ReplicationStatus; len(st) != 1 || st[0].LastAccessedDate == nil {
		t.Fatalf("ReplicationStatus after a read of the replica = %+v", st)
	}

	// A new version, then a label move: the replica follows.
	p := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("dup"), SecretString: aws.String("s2")}))
	g := get(t, euw1, &secretsmanager.GetSecretValueInput{SecretId: aws.String(replicaARN)})
	if *g.SecretString != "s2" || *g.VersionId != *p.VersionId || *g.ARN != replicaARN {
		t.Fatalf("replica after PutSecretValue = %+v", g)
	}
	if v := aws.ToString(get(t, euw1, &secretsmanager.GetSecretValueInput{SecretId: aws.String("dup"), VersionStage: aws.String("AWSPREVIOUS")}).SecretString); v != "s1" {
		t.Fatalf("replica AWSPREVIOUS = %q", v)
	}
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "UpdateSecretVersionStage")(use1.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String("dup"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: out.VersionId, RemoveFromVersionId: p.VersionId}))
	if v := value(t, euw1, "dup"); v != "s1" {
		t.Fatalf("replica after the label move = %q", v)
	}
	must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret")(use1.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("dup"), Description: aws.String("changed")}))
	if d := aws.ToString(describe(t, euw1, "dup").Description); d != "changed" {
		t.Fatalf("replica description = %q", d)
	}

	// Writes to the replica are refused as AWS refuses them.
	id := aws.String(replicaARN)
	refused := map[string]error{}
	_, refused["PutSecretValue"] = euw1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String("x")})
	_, refused["UpdateSecret"] = euw1.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: id, SecretString: aws.String("x")})
	_, refused["UpdateSecretVersionStage"] = euw1.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("x"), MoveToVersionId: out.VersionId})
	_, refused["TagResource"] = euw1.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: id, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	_, refused["UntagResource"] = euw1.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: id, TagKeys: []string{"team"}})
	_, refused["PutResourcePolicy"] = euw1.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String("{}")})
	_, refused["DeleteResourcePolicy"] = euw1.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: id})
	_, refused["DeleteSecret"] = euw1.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: id})
	_, refused["RestoreSecret"] = euw1.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: id})
	_, refused["RotateSecret"] = euw1.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: id})
	_, refused["CancelRotateSecret"] = euw1.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: id})
	_, refused["ReplicateSecretToRegions"] = euw1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{SecretId: id, AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("us-west-2")}}})
	_, refused["RemoveRegionsFromReplication"] = euw1.RemoveRegionsFromReplication(ctx, &secretsmanager.RemoveRegionsFromReplicationInput{SecretId: id, RemoveReplicaRegions: []string{"us-east-1"}})
	for op, err := range refused {
		wantMessage(t, op+" on a replica", err, "InvalidParameterException", notOnReplica)
	}

	// Same Region, bad Region.
	_, err := use1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{SecretId: aws.String("dup"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("us-east-1")}}})
	wantMessage(t, "replicate to its own Region", err, "InvalidParameterException", "Invalid replica region.")

	// ListSecrets in the replica's Region, and the primary-region filter.
	l := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(euw1.ListSecrets(ctx, &secretsmanager.ListSecretsInput{
		Filters: []types.Filter{{Key: types.FilterNameStringTypePrimaryRegion, Values: []string{"us-east-1"}}}}))
	if len(l.SecretList) != 1 || aws.ToString(l.SecretList[0].PrimaryRegion) != "us-east-1" || *l.SecretList[0].ARN != replicaARN {
		t.Fatalf("ListSecrets primary-region us-east-1 in eu-west-1 = %+v", l.SecretList)
	}
	// The replica carries the primary's tags and description (moto's
	// test_list_replica_secret_with_filters).
	for _, f := range []types.Filter{{Key: types.FilterNameStringTypeTagKey, Values: []string{"team"}},
		{Key: types.FilterNameStringTypeTagValue, Values: []string{"blue"}}, {Key: types.FilterNameStringTypeAll, Values: []string{"team"}},
		{Key: types.FilterNameStringTypeDescription, Values: []string{"changed"}}} {
		l := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(euw1.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []types.Filter{f}}))
		if len(l.SecretList) != 1 {
			t.Fatalf("ListSecrets %s %v in eu-west-1 = %d secrets", f.Key, f.Values, len(l.SecretList))
		}
	}
	l = must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(euw1.ListSecrets(ctx, &secretsmanager.ListSecretsInput{
		Filters: []types.Filter{{Key: types.FilterNameStringTypePrimaryRegion, Values: []string{"eu-west-1"}}}}))
	if len(l.SecretList) != 0 {
		t.Fatalf("ListSecrets primary-region eu-west-1 = %+v", l.SecretList)
	}

	// A second replica, then its removal (twice: no error).
	r := must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions")(use1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
		SecretId: aws.String("dup"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("us-west-2")}}}))
	wantStatus(t, "ReplicateSecretToRegions", r.ReplicationStatus, map[string]string{"eu-west-1": "InSync", "us-west-2": "InSync"})
	if v := value(t, usw2, "dup"); v != "s1" {
		t.Fatalf("us-west-2 replica value = %q", v)
	}
	_, err = use1.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("dup")})
	wantMessage(t, "DeleteSecret with replicas", err, "InvalidParameterException", "You can't delete secret dup that still has replica regions [eu-west-1, us-west-2].")
	for range 2 {
		rm := must[*secretsmanager.RemoveRegionsFromReplicationOutput](t, "RemoveRegionsFromReplication")(use1.RemoveRegionsFromReplication(ctx, &secretsmanager.RemoveRegionsFromReplicationInput{
			SecretId: aws.String("dup"), RemoveReplicaRegions: []string{"us-west-2"}}))
		wantStatus(t, "RemoveRegionsFromReplication", rm.ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	}
	_, err = usw2.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("dup")})
	wantAPIError(t, "DescribeSecret removed replica", err, "ResourceNotFoundException")

	// StopReplicationToReplica promotes the replica: it takes writes, the
	// primary forgets it and may then be deleted.
	_, err = use1.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("dup")})
	wantAPIError(t, "StopReplicationToReplica on the primary", err, "InvalidRequestException")
	st := must[*secretsmanager.StopReplicationToReplicaOutput](t, "StopReplicationToReplica")(euw1.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("dup")}))
	if *st.ARN != replicaARN {
		t.Fatalf("StopReplicationToReplica ARN = %s", *st.ARN)
	}
	if d := describe(t, euw1, "dup"); aws.ToString(d.PrimaryRegion) != "eu-west-1" {
		t.Fatalf("promoted PrimaryRegion = %q", aws.ToString(d.PrimaryRegion))
	}
	if d := describe(t, use1, "dup"); len(d.ReplicationStatus) != 0 {
		t.Fatalf("primary still lists %+v", d.ReplicationStatus)
	}
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue promoted")(euw1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("dup"), SecretString: aws.String("eu")}))
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue former primary")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("dup"), SecretString: aws.String("us")}))
	if a, b := value(t, euw1, "dup"), value(t, use1, "dup"); a != "eu" || b != "us" {
		t.Fatalf("after promotion: eu-west-1 %q, us-east-1 %q", a, b)
	}
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret former primary")(use1.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("dup"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
}

// TestReplicationFailures: a replica Region holding another secret of the
// name fails (and is overwritten with ForceOverwriteReplicaSecret); a
// replica whose KMS key in its Region is disabled is Failed with the
// reason while the primary's writes go on, and catches up once the key is
// enabled again; a replica under a key of its own Region opens.
func TestReplicationFailures(t *testing.T) {
	s := sealtest.Start(t)
	use1, euw1 := s.SecretsManager(), s.SecretsManagerIn("eu-west-1")
	euKMS := s.KMSIn("eu-west-1")

	create(t, use1, "taken", "s1")
	other := create(t, euw1, "taken", "s2")
	r := must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions")(use1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
		SecretId: aws.String("taken"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	wantStatus(t, "ReplicateSecretToRegions onto a name in use", r.ReplicationStatus, map[string]string{"eu-west-1": "Failed"})
	if m := aws.ToString(r.ReplicationStatus[0].StatusMessage); m != "Replication failed: Secret name taken already exists in region eu-west-1." {
		t.Fatalf("StatusMessage = %q", m)
	}
	if v := value(t, euw1, "taken"); v != "s2" {
		t.Fatalf("eu-west-1 value = %q", v)
	}
	r = must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions force")(use1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
		SecretId: aws.String("taken"), ForceOverwriteReplicaSecret: true, AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	wantStatus(t, "ReplicateSecretToRegions force", r.ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	if v := value(t, euw1, "taken"); v != "s1" {
		t.Fatalf("overwritten eu-west-1 value = %q", v)
	}
	_, err := euw1.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: other.ARN})
	wantAPIError(t, "the overwritten secret", err, "ResourceNotFoundException")

	// A replica under its own Region's customer key, which is then disabled.
	key := must[*kms.CreateKeyOutput](t, "CreateKey eu-west-1")(euKMS.CreateKey(ctx, &kms.CreateKeyInput{}))
	out := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(use1.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("keyed"), SecretString: aws.String("v1"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1"), KmsKeyId: key.KeyMetadata.Arn}}}))
	wantStatus(t, "CreateSecret keyed", out.ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	if v := value(t, euw1, "keyed"); v != "v1" {
		t.Fatalf("keyed replica = %q", v)
	}
	vs := must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds")(euw1.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("keyed")}))
	if len(vs.Versions) != 1 || len(vs.Versions[0].KmsKeyIds) != 1 || vs.Versions[0].KmsKeyIds[0] != *key.KeyMetadata.Arn {
		t.Fatalf("replica versions' keys = %+v", vs.Versions)
	}
	must[*kms.DisableKeyOutput](t, "DisableKey")(euKMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: key.KeyMetadata.KeyId}))
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue with the replica's key disabled")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("keyed"), SecretString: aws.String("v2")}))
	d := describe(t, use1, "keyed")
	wantStatus(t, "DescribeSecret after a failed replication", d.ReplicationStatus, map[string]string{"eu-west-1": "Failed"})
	if m := aws.ToString(d.ReplicationStatus[0].StatusMessage); !strings.HasPrefix(m, "Replication failed: ") || !strings.Contains(m, "disabled") {
		t.Fatalf("StatusMessage = %q", m)
	}
	if v := value(t, use1, "keyed"); v != "v2" {
		t.Fatalf("primary = %q", v)
	}
	_, err = euw1.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("keyed")})
	wantAPIError(t, "GetSecretValue under a disabled key", err, "DecryptionFailure")
	must[*kms.EnableKeyOutput](t, "EnableKey")(euKMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyMetadata.KeyId}))
	if w := value(t, euw1, "keyed"); w != "v1" {
		t.Fatalf("stale replica = %q", w)
	}
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue after EnableKey")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("keyed"), SecretString: aws.String("v3")}))
	wantStatus(t, "DescribeSecret after the key is back", describe(t, use1, "keyed").ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
	if w := value(t, euw1, "keyed"); w != "v3" {
		t.Fatalf("caught-up replica = %q", w)
	}
	if v := aws.ToString(get(t, euw1, &secretsmanager.GetSecretValueInput{SecretId: aws.String("keyed"), VersionStage: aws.String("AWSPREVIOUS")}).SecretString); v != "v2" {
		t.Fatalf("caught-up replica AWSPREVIOUS = %q", v)
	}

	// A replica's own KMS key is the one thing it may change; the primary's
	// next versions are sealed for it under the new key.
	_, err = euw1.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("keyed"), Description: aws.String("mine")})
	wantMessage(t, "UpdateSecret Description on a replica", err, "InvalidParameterException", notOnReplica)
	key2 := must[*kms.CreateKeyOutput](t, "CreateKey eu-west-1 2")(euKMS.CreateKey(ctx, &kms.CreateKeyInput{}))
	must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret KmsKeyId on a replica")(euw1.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("keyed"), KmsKeyId: key2.KeyMetadata.Arn}))
	if k := aws.ToString(describe(t, use1, "keyed").ReplicationStatus[0].KmsKeyId); k != *key2.KeyMetadata.Arn {
		t.Fatalf("primary's ReplicationStatus KmsKeyId = %q", k)
	}
	p4 := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue v4")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("keyed"), SecretString: aws.String("v4")}))
	vs = must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds")(euw1.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("keyed")}))
	for _, v := range vs.Versions {
		if *v.VersionId == *p4.VersionId && (len(v.KmsKeyIds) != 1 || v.KmsKeyIds[0] != *key2.KeyMetadata.Arn) {
			t.Fatalf("v4 on the replica under %v", v.KmsKeyIds)
		}
	}
	if w := value(t, euw1, "keyed"); w != "v4" {
		t.Fatalf("replica after its key change = %q", w)
	}
}

// TestReplicationValuesStayOut: replicated values are sealed in the store
// like primaries' (no plaintext in the data folder or below the barrier),
// and the new operations are audited.
func TestReplicationValuesStayOut(t *testing.T) {
	s := sealtest.Start(t)
	use1, euw1 := s.SecretsManager(), s.SecretsManagerIn("eu-west-1")
	planted := "planted-replica-value-7c41d9e2"
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(use1.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("stay/out"), SecretString: aws.String(planted),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(use1.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("stay/out"), SecretString: aws.String(planted + "-2")}))
	must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions")(use1.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
		SecretId: aws.String("stay/out"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("ap-south-1")}}}))
	must[*secretsmanager.RemoveRegionsFromReplicationOutput](t, "RemoveRegionsFromReplication")(use1.RemoveRegionsFromReplication(ctx, &secretsmanager.RemoveRegionsFromReplicationInput{
		SecretId: aws.String("stay/out"), RemoveReplicaRegions: []string{"ap-south-1"}}))
	if v := value(t, euw1, "stay/out"); v != planted+"-2" {
		t.Fatalf("replica = %q", v)
	}
	must[*secretsmanager.StopReplicationToReplicaOutput](t, "StopReplicationToReplica")(euw1.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("stay/out")}))
	s.Stop()

	found := map[string]string{}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventSource"] == "secretsmanager.amazonaws.com" {
			found[e["eventName"].(string)], _ = e["awsRegion"].(string)
		}
	}
	for op, region := range map[string]string{"ReplicateSecretToRegions": "us-east-1", "RemoveRegionsFromReplication": "us-east-1", "StopReplicationToReplica": "eu-west-1"} {
		if found[op] != region {
			t.Errorf("audit event %s in %q, want one in %s", op, found[op], region)
		}
	}
	check := func(where string, data []byte) {
		if bytes.Contains(data, []byte(planted)) {
			t.Errorf("%s holds a secret value", where)
		}
	}
	filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		check(path, data)
		return nil
	})
	check("logs", []byte(s.Logs.String()))
	raw, err := boltstore.Open(filepath.Join(s.Dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(filepath.Join(s.Dir, "root.key")))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	replicaValues := 0
	b.View(ctx, func(tx store.Tx) error {
		return tx.Scan("sm/", "", func(k string, v []byte) error {
			if strings.HasPrefix(k, "sm/eu-west-1/value/") {
				replicaValues++
			}
			check("record "+k, v)
			return nil
		})
	})
	if replicaValues != 2 {
		t.Fatalf("found %d replica value records, want 2", replicaValues)
	}
}

// TestReplicationAccess: adding replicas needs ReplicateSecretToRegions
// besides CreateSecret, and the replica's KMS calls are the caller's in the
// replica's Region: denied there, the replica is Failed, the primary made.
func TestReplicationAccess(t *testing.T) {
	s := sealtest.Start(t)
	noReplicate, _, _ := roleClients(t, s, "no-replicate", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:GetSecretValue"],"Resource":"*"},
		{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	_, err := noReplicate.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("a"), SecretString: aws.String("v"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
	wantAPIError(t, "CreateSecret with replicas, no ReplicateSecretToRegions", err, "AccessDeniedException")

	noEUKMS, _, _ := roleClients(t, s, "no-eu-kms", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},
		{"Effect":"Allow","Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`)
	out := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret denied KMS in eu-west-1")(noEUKMS.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("b"), SecretString: aws.String("v"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	wantStatus(t, "CreateSecret denied KMS in eu-west-1", out.ReplicationStatus, map[string]string{"eu-west-1": "Failed"})
	if m := aws.ToString(out.ReplicationStatus[0].StatusMessage); m != "Replication failed: Access to KMS is not allowed" {
		t.Fatalf("StatusMessage = %q", m)
	}
	if v := value(t, noEUKMS, "b"); v != "v" {
		t.Fatalf("primary = %q", v)
	}
	_, err = s.SecretsManagerIn("eu-west-1").DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("b")})
	wantAPIError(t, "DescribeSecret of a replica never made", err, "ResourceNotFoundException")
}

// TestReplicationRotation: a rotation of the primary reaches its replica,
// as AWS propagates it: the replica's AWSCURRENT is the rotated value.
func TestReplicationRotation(t *testing.T) {
	s := sealtest.Start(t)
	use1, euw1 := s.SecretsManager(), s.SecretsManagerIn("eu-west-1")
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(use1.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rot/db"), SecretString: aws.String(`{"username":"app","password":"first-pass"}`),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(use1.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("rot/db"), RotationLambdaARN: aws.String(builtIn)}))
	s.WaitRotations()
	p := get(t, use1, &secretsmanager.GetSecretValueInput{SecretId: aws.String("rot/db")})
	r := get(t, euw1, &secretsmanager.GetSecretValueInput{SecretId: aws.String("rot/db")})
	if *p.VersionId != *out.VersionId || *r.VersionId != *out.VersionId || *r.SecretString != *p.SecretString {
		t.Fatalf("after rotation: primary %s, replica %s (same value: %v), want %s", *p.VersionId, *r.VersionId, *r.SecretString == *p.SecretString, *out.VersionId)
	}
	_, err := euw1.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("rot/db"), VersionStage: aws.String("AWSPENDING")})
	wantAPIError(t, "replica AWSPENDING after rotation", err, "ResourceNotFoundException")
	wantStatus(t, "DescribeSecret after rotation", describe(t, use1, "rot/db").ReplicationStatus, map[string]string{"eu-west-1": "InSync"})
}

// TestReplicaRotationSettings: a replica reports its primary's rotation
// settings (AWS rotates in the primary's Region and the value propagates;
// a replica has the primary's metadata), in DescribeSecret and ListSecrets
// of its own Region; RotateSecret and CancelRotateSecret on it are refused
// as every write to a replica is; a promoted replica has no rotation of
// its own.
func TestReplicaRotationSettings(t *testing.T) {
	s := sealtest.Start(t)
	use1, euw1 := s.SecretsManager(), s.SecretsManagerIn("eu-west-1")
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(use1.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rot/settings"), SecretString: aws.String(`{"username":"app","password":"first-pass"}`),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}}))
	if d := describe(t, euw1, "rot/settings"); d.RotationEnabled != nil || d.RotationLambdaARN != nil || d.RotationRules != nil {
		t.Fatalf("replica of a secret without rotation: RotationEnabled %v, lambda %v, rules %+v", d.RotationEnabled, d.RotationLambdaARN, d.RotationRules)
	}
	must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(use1.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("rot/settings"), RotationLambdaARN: aws.String(builtIn),
		RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(10)}}))
	s.WaitRotations()
	p, r := describe(t, use1, "rot/settings"), describe(t, euw1, "rot/settings")
	if !aws.ToBool(p.RotationEnabled) || p.LastRotatedDate == nil || p.NextRotationDate == nil {
		t.Fatalf("primary after RotateSecret: enabled %v, last %v, next %v", p.RotationEnabled, p.LastRotatedDate, p.NextRotationDate)
	}
	same := func(call string, enabled *bool, lambda *string, rules *types.RotationRulesType, last, next any) {
		t.Helper()
		if aws.ToBool(enabled) != aws.ToBool(p.RotationEnabled) || enabled == nil || aws.ToString(lambda) != builtIn ||
			rules == nil || aws.ToInt64(rules.AutomaticallyAfterDays) != 10 {
			t.Fatalf("%s: enabled %v, lambda %q, rules %+v; want the primary's", call, enabled, aws.ToString(lambda), rules)
		}
		if !reflect.DeepEqual(last, p.LastRotatedDate) || !reflect.DeepEqual(next, p.NextRotationDate) {
			t.Fatalf("%s: last rotated %v, next %v; the primary's %v, %v", call, last, next, p.LastRotatedDate, p.NextRotationDate)
		}
	}
	same("DescribeSecret(replica)", r.RotationEnabled, r.RotationLambdaARN, r.RotationRules, r.LastRotatedDate, r.NextRotationDate)
	if aws.ToString(r.PrimaryRegion) != "us-east-1" {
		t.Fatalf("replica PrimaryRegion %q", aws.ToString(r.PrimaryRegion))
	}
	list := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets(replica Region)")(euw1.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}))
	if len(list.SecretList) != 1 {
		t.Fatalf("ListSecrets in the replica's Region: %+v", list.SecretList)
	}
	e := list.SecretList[0]
	same("ListSecrets(replica)", e.RotationEnabled, e.RotationLambdaARN, e.RotationRules, e.LastRotatedDate, e.NextRotationDate)

	_, err := euw1.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rot/settings")})
	wantMessage(t, "RotateSecret(replica)", err, "InvalidParameterException", notOnReplica)
	_, err = euw1.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rot/settings"), RotationLambdaARN: aws.String(builtIn),
		RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(3)}})
	wantMessage(t, "RotateSecret(replica, new rules)", err, "InvalidParameterException", notOnReplica)
	_, err = euw1.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String("rot/settings")})
	wantMessage(t, "CancelRotateSecret(replica)", err, "InvalidParameterException", notOnReplica)
	if d := describe(t, euw1, "rot/settings"); !aws.ToBool(d.RotationEnabled) || aws.ToInt64(d.RotationRules.AutomaticallyAfterDays) != 10 {
		t.Fatalf("a refused rotation call changed the replica's rotation: %v %+v", d.RotationEnabled, d.RotationRules)
	}

	must[*secretsmanager.CancelRotateSecretOutput](t, "CancelRotateSecret")(use1.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String("rot/settings")}))
	if d := describe(t, euw1, "rot/settings"); d.RotationEnabled == nil || *d.RotationEnabled || d.NextRotationDate != nil {
		t.Fatalf("replica after the primary's CancelRotateSecret: enabled %v, next %v", d.RotationEnabled, d.NextRotationDate)
	}
	must[*secretsmanager.StopReplicationToReplicaOutput](t, "StopReplicationToReplica")(euw1.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("rot/settings")}))
	if d := describe(t, euw1, "rot/settings"); d.RotationEnabled != nil || d.RotationLambdaARN != nil || d.PrimaryRegion == nil || *d.PrimaryRegion != "eu-west-1" {
		t.Fatalf("promoted replica: enabled %v, lambda %v, primary %v", d.RotationEnabled, d.RotationLambdaARN, d.PrimaryRegion)
	}
}

// wantLinksConsistent checks, over the wire, every replication link among
// the secrets of regions: each replica's primary exists and lists it, and
// each primary's ReplicationStatus lists, as InSync, only replicas of its
// own (a Failed entry names a Region where its replica may be missing or
// stale, never one that belongs to another primary).
func wantLinksConsistent(t *testing.T, s *sealtest.Server, regions ...string) {
	t.Helper()
	for _, region := range regions {
		c := s.SecretsManagerIn(region)
		list := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets "+region)(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}))
		for _, e := range list.SecretList {
			name, primary := aws.ToString(e.Name), aws.ToString(e.PrimaryRegion)
			if primary != region {
				p, err := s.SecretsManagerIn(primary).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
				if err != nil {
					t.Fatalf("the replica %s in %s: its primary in %s: %v", name, region, primary, err)
				}
				if aws.ToString(p.ARN) != strings.Replace(aws.ToString(e.ARN), ":"+region+":", ":"+primary+":", 1) ||
					!slices.ContainsFunc(p.ReplicationStatus, func(st types.ReplicationStatusType) bool { return aws.ToString(st.Region) == region }) {
					t.Fatalf("the replica %s in %s: its primary %s lists %+v", name, region, aws.ToString(p.ARN), p.ReplicationStatus)
				}
			}
			d := describe(t, c, aws.ToString(e.ARN))
			for _, st := range d.ReplicationStatus {
				r, err := s.SecretsManagerIn(aws.ToString(st.Region)).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
				mine := err == nil && aws.ToString(r.PrimaryRegion) == region &&
					aws.ToString(r.ARN) == strings.Replace(aws.ToString(d.ARN), ":"+region+":", ":"+aws.ToString(st.Region)+":", 1)
				if st.Status == types.StatusTypeInSync && !mine {
					t.Fatalf("%s in %s lists an InSync replica in %s that is not its own (%v)", name, region, aws.ToString(st.Region), err)
				}
				if !mine && err == nil && aws.ToString(r.PrimaryRegion) == region {
					t.Fatalf("%s in %s: the secret in %s claims it as primary but is another's", name, region, aws.ToString(st.Region))
				}
			}
		}
	}
}

// TestForceOverwriteKeepsLinks: ForceOverwriteReplicaSecret overwrites a
// standalone secret of the name in the replica's Region, but not one that
// is itself part of a replication (a primary with replicas, a replica of
// another primary): that replica fails with the reason, both secrets stay
// as they were, and no link is left dangling, through
// ReplicateSecretToRegions and CreateSecret alike. Once the other secret
// is standalone, the overwrite goes through.
func TestForceOverwriteKeepsLinks(t *testing.T) {
	const a, b, c = "us-east-1", "eu-west-1", "us-west-2"
	s := sealtest.Start(t)
	ca, cb, cc := s.SecretsManagerIn(a), s.SecretsManagerIn(b), s.SecretsManagerIn(c)
	regions := func(rs ...string) []types.ReplicaRegionType {
		var out []types.ReplicaRegionType
		for _, r := range rs {
			out = append(out, types.ReplicaRegionType{Region: aws.String(r)})
		}
		return out
	}
	// In b, "prim" is a primary replicated to c; in c, "rep" is a primary
	// replicated to b.
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret prim in b")(cb.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("prim"), SecretString: aws.String("b's prim"), AddReplicaRegions: regions(c)}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret rep in c")(cc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rep"), SecretString: aws.String("c's rep"), AddReplicaRegions: regions(b)}))
	wantLinksConsistent(t, s, a, b, c)

	create(t, ca, "prim", "a's prim")
	out := must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions over a primary")(ca.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
		SecretId: aws.String("prim"), ForceOverwriteReplicaSecret: true, AddReplicaRegions: regions(b)}))
	wantStatus(t, "force over a primary with replicas", out.ReplicationStatus, map[string]string{b: "Failed"})
	if m := aws.ToString(out.ReplicationStatus[0].StatusMessage); m != "Replication failed: Secret name prim already exists in region eu-west-1 as a primary secret with replica regions [us-west-2]." {
		t.Fatalf("StatusMessage = %q", m)
	}
	if v, w := value(t, cb, "prim"), value(t, cc, "prim"); v != "b's prim" || w != "b's prim" {
		t.Fatalf("after a refused overwrite: b %q, c %q", v, w)
	}
	wantLinksConsistent(t, s, a, b, c)

	cr := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret over a replica")(ca.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rep"), SecretString: aws.String("a's rep"), AddReplicaRegions: regions(b), ForceOverwriteReplicaSecret: true}))
	wantStatus(t, "force over a replica of another primary", cr.ReplicationStatus, map[string]string{b: "Failed"})
	if m := aws.ToString(cr.ReplicationStatus[0].StatusMessage); m != "Replication failed: Secret name rep already exists in region eu-west-1 as a replica of a secret in region us-west-2." {
		t.Fatalf("StatusMessage = %q", m)
	}
	if d := describe(t, cb, "rep"); aws.ToString(d.PrimaryRegion) != c || value(t, cb, "rep") != "c's rep" {
		t.Fatalf("the replica in b after a refused overwrite: primary %q", aws.ToString(d.PrimaryRegion))
	}
	wantStatus(t, "c's rep", describe(t, cc, "rep").ReplicationStatus, map[string]string{b: "InSync"})
	// A later write to a's secret does not take b's replica either.
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue a's rep")(ca.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rep"), SecretString: aws.String("a's rep 2")}))
	if v := value(t, cb, "rep"); v != "c's rep" {
		t.Fatalf("b's replica of c after a write to a's secret = %q", v)
	}
	wantLinksConsistent(t, s, a, b, c)

	// Once b's secrets are out of their replications, they are standalone
	// and the overwrite goes through.
	must[*secretsmanager.RemoveRegionsFromReplicationOutput](t, "RemoveRegionsFromReplication")(cb.RemoveRegionsFromReplication(ctx, &secretsmanager.RemoveRegionsFromReplicationInput{
		SecretId: aws.String("prim"), RemoveReplicaRegions: []string{c}}))
	must[*secretsmanager.StopReplicationToReplicaOutput](t, "StopReplicationToReplica")(cb.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("rep")}))
	for _, name := range []string{"prim", "rep"} {
		out := must[*secretsmanager.ReplicateSecretToRegionsOutput](t, "ReplicateSecretToRegions over a standalone")(ca.ReplicateSecretToRegions(ctx, &secretsmanager.ReplicateSecretToRegionsInput{
			SecretId: aws.String(name), ForceOverwriteReplicaSecret: true, AddReplicaRegions: regions(b)}))
		wantStatus(t, "force over a standalone "+name, out.ReplicationStatus, map[string]string{b: "InSync"})
		if d := describe(t, cb, name); aws.ToString(d.PrimaryRegion) != a {
			t.Fatalf("%s in b after the overwrite: primary %q", name, aws.ToString(d.PrimaryRegion))
		}
	}
	if v := value(t, cb, "rep"); v != "a's rep 2" {
		t.Fatalf("b's rep after the overwrite = %q", v)
	}
	wantLinksConsistent(t, s, a, b, c)
}
