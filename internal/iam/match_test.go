package iam

import "testing"

// TestMatchesSpans: Matches names the statements that apply, with the
// effect asked, by their exact text in the document as given: in a list,
// as a single object, with CRLF line ends and after multi-byte characters.
func TestMatchesSpans(t *testing.T) {
	const (
		logs    = `{"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"}`
		kms     = "{\r\n  \"Sid\": \"Clé – ключ\",\r\n  \"Effect\": \"Allow\",\r\n  \"Action\": \"kms:*\",\r\n  \"Resource\": \"*\"\r\n}"
		kmsDeny = `{"Sid": "NoDelete", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}`
	)
	list := "{\r\n\"Version\": \"2012-10-17\",\r\n\"Id\": \"日本語 🔑\",\r\n\"Statement\": [\r\n  " + logs + ",\r\n  " + kms + " ,\r\n  " + kmsDeny + "\r\n]}"
	single := `{"Version":"2012-10-17","Statement":` + kms + `}`
	for _, tc := range []struct {
		name, doc string
		action    string
		effect    Effect
		want      []string
	}{
		{"allow in a list", list, "kms:Decrypt", Allow, []string{kms}},
		{"deny in a list", list, "kms:ScheduleKeyDeletion", Deny, []string{kmsDeny}},
		{"the allow a deny overrides", list, "kms:ScheduleKeyDeletion", Allow, []string{kms}},
		{"no match", list, "s3:GetObject", Allow, nil},
		{"single object", single, "kms:Encrypt", Allow, []string{kms}},
		{"single object, other effect", single, "kms:Encrypt", Deny, nil},
		{"NoMatch asked", list, "kms:Decrypt", NoMatch, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.doc, KindIdentity)
			got := p.Matches(nil, req(alice, tc.action, keyARN), tc.effect)
			if len(got) != len(tc.want) {
				t.Fatalf("Matches = %v, want %d statements", got, len(tc.want))
			}
			for i, sp := range got {
				if text := tc.doc[sp.Start:sp.End]; text != tc.want[i] {
					t.Errorf("statement %d: %q, want %q", i, text, tc.want[i])
				}
			}
		})
	}
	var nilPolicy *Policy
	if got := nilPolicy.Matches(nil, req(alice, "kms:Decrypt", keyARN), Allow); got != nil {
		t.Fatalf("nil policy: %v", got)
	}
	// A resource policy: the statements naming the caller.
	const forAlice = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:*","Resource":"*"}`
	doc := stmt(forAlice, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:*","Resource":"*"}`)
	got := mustParse(t, doc, KindKey).Matches(nil, req(alice, "kms:Decrypt", keyARN), Allow)
	if len(got) != 1 || doc[got[0].Start:got[0].End] != forAlice {
		t.Fatalf("resource policy: %v, want the statement naming alice", got)
	}
}
