// Package wirecodec is what the reflection-free codec of the wire types
// (written by internal/awsapi/model/wiregen into each service's
// types_gen.go) shares: the error of a request value without the Go
// type's shape, with its path, and the JSON appenders of a blob and a
// timestamp. It holds them once, so that every service's generated code
// says the same thing; it imports nothing of the protocol layer, which the
// services may not import.
package wirecodec

import (
	"encoding/base64"
	"strconv"

	"github.com/sealbox/sealbox"
)

// Seg is a step of the path to a bound value: a member (Name), a list's
// element (Index, from 1) or a map's value (Index -1).
type Seg struct {
	Name  string
	Index int
}

// bindError is awsapi's bindError: a value without the Go type's shape, at
// the path segs.
type bindError struct {
	segs []Seg
	want string
}

func (e *bindError) Error() string {
	return "Unexpected value type at '" + e.path() + "': expected " + e.want
}

// path is the path as awsapi's reflective binder spells it.
func (e *bindError) path() string {
	p := ""
	for _, s := range e.segs {
		switch {
		case s.Index > 0:
			p += "." + strconv.Itoa(s.Index)
		case s.Index < 0:
			p += ".value"
		case p == "":
			p = s.Name
		default:
			p += "." + s.Name
		}
	}
	return p
}

// BindErr is the error of a value that is not want ("a string", "an
// object"...) at the path segs.
func BindErr(want string, segs ...Seg) error {
	return &bindError{segs: segs, want: want}
}

// Wrap puts segs, the path to a structure, before the path of err, an
// error BindErr returned while binding that structure. The generated
// binders spell a path out this way only on failure, so that binding a
// valid value allocates nothing for it.
func Wrap(err error, segs ...Seg) error {
	e := err.(*bindError)
	e.segs = append(append([]Seg(nil), segs...), e.segs...)
	return e
}

// AppendBytes is encoding/json's []byte: standard base64, quoted.
func AppendBytes(b, data []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, '"')
}

// AppendTime is sealbox.Timestamp's MarshalJSON, without its allocation:
// epoch seconds with millisecond precision.
func AppendTime(b []byte, t sealbox.Timestamp) []byte {
	return strconv.AppendFloat(b, float64(t.UnixMilli())/1000, 'f', -1, 64)
}
