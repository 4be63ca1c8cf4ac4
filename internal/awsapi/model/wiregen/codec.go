package main

// The reflection-free codec of the wire types. For every structure,
// wiregen writes two methods that the router uses in place of reflection
// (awsapi's operation.go and router.go):
//
//   - AppendJSON(b []byte) ([]byte, error) appends the value as JSON, byte
//     for byte what encoding/json's Marshal writes for it (the json tags,
//     omitempty, HTML-safe string escaping, base64 blobs, maps by sorted
//     key, sealbox.Timestamp's MarshalJSON, floats as encoding/json formats
//     them); the error is Marshal's refusal of a NaN or an infinity.
//   - BindValue(v map[string]any) error sets the value from the generic
//     value the request path decoded, validated and audited, by the rules
//     and with the errors of awsapi's reflective binder (bind.go).
//
// Only what the wire types hold is handled; a structure that holds a
// *spool.Blob (a streamed upload) gets no AppendJSON, and the router
// marshals it by reflection. awsapi's differential tests and fuzzer
// (wirecodec_test.go) hold both methods to the reflective paths.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// field is one member of a generated structure.
type field struct {
	Go, Type, Name string // Go field name, Go type, member name
	OmitEmpty      bool
}

// codec writes the methods of every structure. What they share (the bind
// error and its path, the blob and timestamp appenders) is
// internal/wirecodec's, once for every package.
func (g *gen) codec(b *strings.Builder, names []string) {
	for _, name := range names {
		if g.encodable(name, nil) {
			g.appendMethod(b, name)
		}
		g.bindMethod(b, name)
	}
}

// encodable reports whether AppendJSON can be written for the structure
// name: it reaches no *spool.Blob.
func (g *gen) encodable(name string, seen []string) bool {
	if slices.Contains(seen, name) {
		return true
	}
	seen = append(seen, name)
	for _, f := range g.fields[name] {
		if strings.Contains(f.Type, "spool.") {
			return false
		}
		if s := structOf(f.Type); s != "" && !g.encodable(s, seen) {
			return false
		}
	}
	return true
}

// structOf is the structure a Go type is or holds, "" for none.
func structOf(t string) string {
	for {
		switch {
		case strings.HasPrefix(t, "*"):
			t = t[1:]
		case strings.HasPrefix(t, "[]"):
			t = t[2:]
		case strings.HasPrefix(t, "map[string]"):
			t = t[len("map[string]"):]
		default:
			if strings.Contains(t, ".") || isScalar(t) {
				return ""
			}
			return t
		}
	}
}

func isScalar(t string) bool {
	switch t {
	case "string", "int32", "int64", "bool", "float64", "byte":
		return true
	}
	return false
}

// vars hands out the names of the generated code's nested variables.
type vars struct{ n int }

func (v *vars) next(prefix string) string {
	v.n++
	return fmt.Sprintf("%s%d", prefix, v.n)
}

func (g *gen) appendMethod(b *strings.Builder, name string) {
	fmt.Fprintf(b, "// AppendJSON appends x as encoding/json's Marshal writes it.\n")
	fmt.Fprintf(b, "func (x *%s) AppendJSON(b []byte) ([]byte, error) {\n", name)
	fields := g.fields[name]
	if len(fields) == 0 {
		b.WriteString("\treturn append(b, \"{}\"...), nil\n}\n\n")
		return
	}
	// Each member is written after a comma; the first comma becomes the
	// opening brace.
	var body strings.Builder
	v := &vars{}
	for _, f := range fields {
		key, _ := json.Marshal(f.Name)
		expr := "x." + f.Go
		if f.OmitEmpty {
			fmt.Fprintf(&body, "\tif %s {\n", nonEmpty(f.Type, expr))
		} else {
			body.WriteString("\t{\n")
		}
		fmt.Fprintf(&body, "\t\tb = append(b, %q...)\n", ","+string(key)+":")
		appendValue(&body, v, f.Type, expr, f.OmitEmpty)
		body.WriteString("\t}\n")
	}
	if strings.Contains(body.String(), "err != nil") {
		b.WriteString("\tvar err error\n")
	}
	b.WriteString("\tstart := len(b)\n")
	b.WriteString(body.String())
	b.WriteString("\tif len(b) == start {\n\t\treturn append(b, \"{}\"...), nil\n\t}\n")
	b.WriteString("\tb[start] = '{'\n\treturn append(b, '}'), nil\n}\n\n")
}

// nonEmpty is the condition under which omitempty writes expr of type t.
func nonEmpty(t, expr string) string {
	switch {
	case t == "string":
		return expr + ` != ""`
	case t == "int32" || t == "int64" || t == "float64":
		return expr + " != 0"
	case t == "bool":
		return expr
	case strings.HasPrefix(t, "*"):
		return expr + " != nil"
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "map["):
		return "len(" + expr + ") != 0"
	}
	return "true" // a structure value is never empty
}

// appendValue writes the code that appends expr, of Go type t, to b;
// present says omitempty's test has passed, so that expr is not nil.
func appendValue(b *strings.Builder, v *vars, t, expr string, present bool) {
	null := func() {
		if !present {
			fmt.Fprintf(b, "if %s == nil {\nb = append(b, \"null\"...)\n} else ", expr)
		}
	}
	switch {
	case t == "string":
		fmt.Fprintf(b, "b = jsonenc.AppendString(b, %s)\n", expr)
	case t == "int32" || t == "int64":
		fmt.Fprintf(b, "b = strconv.AppendInt(b, int64(%s), 10)\n", expr)
	case t == "bool":
		fmt.Fprintf(b, "b = strconv.AppendBool(b, %s)\n", expr)
	case t == "float64":
		fmt.Fprintf(b, "if b, err = jsonenc.AppendFloat(b, %s, 64); err != nil {\nreturn nil, err\n}\n", expr)
	case t == "sealbox.Timestamp":
		fmt.Fprintf(b, "b = wirecodec.AppendTime(b, %s)\n", expr)
	case t == "[]byte":
		null()
		fmt.Fprintf(b, "{\nb = wirecodec.AppendBytes(b, %s)\n}\n", expr)
	case strings.HasPrefix(t, "*"):
		null()
		b.WriteString("{\n")
		elem := t[1:]
		if structOf(elem) == elem {
			fmt.Fprintf(b, "if b, err = %s.AppendJSON(b); err != nil {\nreturn nil, err\n}\n", expr)
		} else {
			appendValue(b, v, elem, "(*"+expr+")", false)
		}
		b.WriteString("}\n")
	case strings.HasPrefix(t, "[]"):
		i := v.next("i")
		null()
		b.WriteString("{\nb = append(b, '[')\n")
		fmt.Fprintf(b, "for %s := range %s {\nif %s > 0 {\nb = append(b, ',')\n}\n", i, expr, i)
		appendValue(b, v, t[2:], expr+"["+i+"]", false)
		b.WriteString("}\nb = append(b, ']')\n}\n")
	case strings.HasPrefix(t, "map[string]"):
		keys, k, e := v.next("keys"), v.next("k"), v.next("e")
		null()
		b.WriteString("{\n")
		fmt.Fprintf(b, "%s := make([]string, 0, len(%s))\nfor %s := range %s {\n%s = append(%s, %s)\n}\nslices.Sort(%s)\n", keys, expr, k, expr, keys, keys, k, keys)
		fmt.Fprintf(b, "b = append(b, '{')\nfor %s, %s := range %s {\nif %s > 0 {\nb = append(b, ',')\n}\n", e, k, keys, e)
		fmt.Fprintf(b, "b = jsonenc.AppendString(b, %s)\nb = append(b, ':')\n", k)
		elem := t[len("map[string]"):]
		val := v.next("v")
		fmt.Fprintf(b, "%s := %s[%s]\n", val, expr, k)
		appendValue(b, v, elem, val, false)
		b.WriteString("}\nb = append(b, '}')\n}\n")
	default: // a structure value
		fmt.Fprintf(b, "if b, err = %s.AppendJSON(b); err != nil {\nreturn nil, err\n}\n", addr(expr))
	}
}

func (g *gen) bindMethod(b *strings.Builder, name string) {
	fmt.Fprintf(b, "// BindValue sets x from v, a request's generic value, as awsapi's\n// reflective binder does.\n")
	fmt.Fprintf(b, "func (x *%s) BindValue(v map[string]any) error { return x.bindWire(v) }\n\n", name)
	fmt.Fprintf(b, "func (x *%s) bindWire(v any) error {\n", name)
	fields := g.fields[name]
	if len(fields) == 0 {
		b.WriteString("\tif _, ok := v.(map[string]any); !ok {\n\t\treturn wirecodec.BindErr(\"an object\")\n\t}\n\treturn nil\n}\n\n")
		return
	}
	b.WriteString("\tm, ok := v.(map[string]any)\n\tif !ok {\n\t\treturn wirecodec.BindErr(\"an object\")\n\t}\n")
	vs := &vars{}
	for _, f := range fields {
		mv := vs.next("mv")
		fmt.Fprintf(b, "\tif %s := m[%q]; %s != nil {\n", mv, f.Name, mv)
		bindValue(b, vs, f.Type, "x."+f.Go, mv, []string{fmt.Sprintf("wirecodec.Seg{Name: %q}", f.Name)})
		b.WriteString("\t}\n")
	}
	b.WriteString("\treturn nil\n}\n\n")
}

// bindValue writes the code that binds val (a non-nil generic value) into
// dst, an assignable expression of Go type t. path are the segments (Go
// expressions) from the structure being bound to val: an error names them,
// and a structure's error gets them put before its own, so that a path is
// spelled out only for an error, without a pointer per level that could
// make the binding allocate.
func bindValue(b *strings.Builder, v *vars, t, dst, val string, path []string) {
	segs := strings.Join(path, ", ")
	fail := func(want string) string { return fmt.Sprintf("return wirecodec.BindErr(%q, %s)", want, segs) }
	switch t {
	case "string", "bool":
		s := v.next("s")
		want := map[string]string{"string": "a string", "bool": "a boolean"}[t]
		fmt.Fprintf(b, "%s, ok := %s.(%s)\nif !ok {\n%s\n}\n%s = %s\n", s, val, t, fail(want), dst, s)
		return
	case "int32", "int64":
		n, i, err := v.next("n"), v.next("i"), v.next("err")
		fmt.Fprintf(b, "%s, ok := %s.(json.Number)\nif !ok {\n%s\n}\n", n, val, fail("a number"))
		fmt.Fprintf(b, "%s, %s := strconv.ParseInt(string(%s), 10, 64)\n", i, err, n)
		cond := err + " != nil"
		if t == "int32" {
			cond += fmt.Sprintf(" || %s < math.MinInt32 || %s > math.MaxInt32", i, i)
		}
		fmt.Fprintf(b, "if %s {\n%s\n}\n%s = %s(%s)\n", cond, fail("an integer of "+t+"'s range"), dst, t, i)
		return
	case "float64":
		n, f, err := v.next("n"), v.next("f"), v.next("err")
		fmt.Fprintf(b, "%s, ok := %s.(json.Number)\nif !ok {\n%s\n}\n", n, val, fail("a number"))
		fmt.Fprintf(b, "%s, %s := strconv.ParseFloat(string(%s), 64)\nif %s != nil {\n%s\n}\n%s = %s\n", f, err, n, err, fail("a number in range"), dst, f)
		return
	case "[]byte":
		s, d, err := v.next("s"), v.next("d"), v.next("err")
		fmt.Fprintf(b, "%s, ok := %s.(string)\nif !ok {\n%s\n}\n", s, val, fail("a base64 string"))
		fmt.Fprintf(b, "%s, %s := base64.StdEncoding.DecodeString(%s)\nif %s != nil {\n%s\n}\n%s = %s\n", d, err, s, err, fail("base64-encoded bytes"), dst, d)
		return
	case "sealbox.Timestamp":
		// The reflective binder hands UnmarshalJSON a number's text; any
		// other value's JSON text is not a number it parses.
		n := v.next("n")
		fmt.Fprintf(b, "%s, ok := %s.(json.Number)\nif !ok || %s.UnmarshalJSON([]byte(%s)) != nil {\n%s\n}\n", n, val, addr(dst), n, fail("a value of sealbox.Timestamp"))
		return
	case "*spool.Blob":
		// Only a blob the protocol layer streamed and placed (awsapi's
		// blobs.go); nothing a client writes decodes to one.
		s := v.next("blob")
		fmt.Fprintf(b, "%s, ok := %s.(*spool.Blob)\nif !ok {\n%s\n}\n%s = %s\n", s, val, fail("streamed bytes"), dst, s)
		return
	}
	switch {
	case strings.HasPrefix(t, "*"):
		// Set only once the value bound, as the reflective binder does.
		elem := t[1:]
		n := v.next("ptr")
		fmt.Fprintf(b, "%s := new(%s)\n", n, elem)
		bindValue(b, v, elem, "(*"+n+")", val, path)
		fmt.Fprintf(b, "%s = %s\n", dst, n)
	case strings.HasPrefix(t, "[]"):
		l, s, i, e := v.next("l"), v.next("s"), v.next("i"), v.next("e")
		fmt.Fprintf(b, "%s, ok := %s.([]any)\nif !ok {\n%s\n}\n", l, val, fail("a list"))
		fmt.Fprintf(b, "%s := make(%s, len(%s))\nfor %s, %s := range %s {\nif %s == nil {\ncontinue\n}\n", s, t, l, i, e, l, e)
		bindValue(b, v, t[2:], s+"["+i+"]", e, append(slices.Clip(path), "wirecodec.Seg{Index: "+i+" + 1}"))
		fmt.Fprintf(b, "}\n%s = %s\n", dst, s)
	case strings.HasPrefix(t, "map[string]"):
		mm, out, k, e, ev := v.next("m"), v.next("out"), v.next("k"), v.next("e"), v.next("ev")
		elem := t[len("map[string]"):]
		fmt.Fprintf(b, "%s, ok := %s.(map[string]any)\nif !ok {\n%s\n}\n", mm, val, fail("an object"))
		fmt.Fprintf(b, "%s := make(%s, len(%s))\nfor %s, %s := range %s {\nvar %s %s\nif %s != nil {\n", out, t, mm, k, e, mm, ev, elem, e)
		bindValue(b, v, elem, ev, e, append(slices.Clip(path), "wirecodec.Seg{Index: -1}"))
		fmt.Fprintf(b, "}\n%s[%s] = %s\n}\n%s = %s\n", out, k, ev, dst, out)
	default: // a structure value
		fmt.Fprintf(b, "if err := %s.bindWire(%s); err != nil {\nreturn wirecodec.Wrap(err, %s)\n}\n", addr(dst), val, segs)
	}
}

// addr is the expression of a pointer to expr, for a method call: expr's
// own pointer when expr dereferences one ("(*p)"), so that no &*p is
// written, else "(&expr)".
func addr(expr string) string {
	if p, ok := strings.CutPrefix(expr, "(*"); ok && strings.HasSuffix(p, ")") && !strings.ContainsAny(p[:len(p)-1], "()[] ") {
		return p[:len(p)-1]
	}
	return "(&" + expr + ")"
}
