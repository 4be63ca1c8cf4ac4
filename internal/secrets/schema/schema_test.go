package schema

import "testing"

func TestSchemaSubset(t *testing.T) {
	const schema = `{"type":"object","required":["password"],"additionalProperties":false,
		"properties":{"password":{"type":"string","pattern":"^[A-Za-z0-9]+$","maxLength":40},
		"port":{"type":"integer","minimum":1,"maximum":65535},"engine":{"enum":["postgres","mysql"]},"ssl":{"type":"boolean"}}}`
	sc, err := Parse(schema)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", schema, err)
	}
	for value, ok := range map[string]bool{
		`{"password":"abc123","port":5432,"engine":"postgres","ssl":true}`: true,
		`{"password":"abc-123"}`:               false, // pattern
		`{"password":"abc","port":70000}`:      false, // maximum
		`{"password":"abc","port":54.5}`:       false, // integer
		`{"password":"abc","engine":"oracle"}`: false, // enum
		`{"password":"abc","extra":1}`:         false, // additionalProperties
		`{"port":5432}`:                        false, // required
		`["password"]`:                         false, // type
	} {
		if err := sc.Validate([]byte(value)); (err == nil) != ok {
			t.Errorf("Validate(%s) = %v, want ok %v", value, err, ok)
		}
	}
}
