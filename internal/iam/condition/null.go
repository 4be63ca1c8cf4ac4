package condition

// Null tests whether a key is present: "true" holds when the key is absent
// from the request context (or has no values), "false" when it is present.
// Null takes no IfExists suffix (NullIfExists is not an operator) and no
// policy variables; a set-operator prefix changes nothing.

func (c *Condition) parseNull(values []string) error {
	c.null = true
	for _, v := range values {
		b, ok := parseBool(v)
		if !ok {
			return badValue(v, "use true or false")
		}
		c.nullWants[b2i(b)] = true
	}
	return nil
}

// evalNull answers for a key with n values.
func (c *Condition) evalNull(n int) bool {
	return c.nullWants[b2i(n == 0)]
}
