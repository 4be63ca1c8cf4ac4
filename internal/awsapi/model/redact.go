package model

// Redact returns a copy of v, a value of shape decoded from JSON, fit for an
// audit record: structure members are renamed to their wire names ("KeyId"
// → "keyId", as CloudTrail records them) and members that are sensitive in
// the model or are blobs (plaintexts, ciphertexts, data keys) are left out.
// Map keys (an encryption context's names) are kept as they are.
func (s *Service) Redact(sh *Shape, v any) any {
	if sh == nil || v == nil {
		return v
	}
	switch sh.Type {
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(m))
		// The members the input carries, fewer than the shape's: what is
		// not a member is left out, as it would be walking the members.
		for name, mv := range m {
			ref := sh.Members[name]
			if ref == nil || mv == nil {
				continue
			}
			msh := ref.target
			if msh == nil {
				msh = s.Shapes[ref.Shape]
			}
			if msh == nil || msh.Sensitive || msh.Type == "blob" {
				continue
			}
			out[ref.wireName(name)] = s.Redact(msh, mv)
		}
		return out
	case "list":
		l, ok := v.([]any)
		if !ok {
			return nil
		}
		msh := s.Shapes[sh.Member.Shape]
		if msh != nil && (msh.Sensitive || msh.Type == "blob") {
			return nil
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = s.Redact(msh, e)
		}
		return out
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		vsh := s.Shapes[sh.Value.Shape]
		if vsh != nil && (vsh.Sensitive || vsh.Type == "blob") {
			return nil
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[k] = s.Redact(vsh, e)
		}
		return out
	case "string":
		if sh.Sensitive {
			return nil
		}
	}
	return v
}
