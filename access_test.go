package sealbox_test

import (
	"reflect"
	"testing"

	"github.com/sealbox/sealbox"
)

func TestSetResourceTag(t *testing.T) {
	for _, tc := range []struct {
		name, service, key, value string
		want                      map[string][]string
	}{
		{"global key only", "", "Team", "blue", map[string][]string{"aws:resourcetag/team": {"blue"}}},
		{"and the service's", "secretsmanager", "Cost-Center", "42", map[string][]string{
			"aws:resourcetag/cost-center": {"42"}, "secretsmanager:resourcetag/cost-center": {"42"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cond := map[string][]string{}
			sealbox.SetResourceTag(cond, tc.service, tc.key, tc.value)
			if !reflect.DeepEqual(cond, tc.want) {
				t.Fatalf("SetResourceTag(%q, %q, %q) = %v, want %v", tc.service, tc.key, tc.value, cond, tc.want)
			}
		})
	}
}
