package server

import "net/textproto"

// reply is the server's answer to one request, decided without regard to
// the engine that carries it; each engine's front-end sends it.
type reply struct {
	code int
	// fields are the header fields, prepared once and shared: never
	// modified. Content-Length is the engine's to send, from body.
	fields fields
	// body is sent for a GET; a HEAD gets only its length, a 304 neither.
	body []byte
	// length is body's length as net/http wants it, if prepared.
	length []string
	// location is a redirect's Location.
	location string
	// metrics: the engine runs the Prometheus handler instead.
	metrics bool
}

// hfield is one prepared response header field, in the forms the engines
// take: net/http's map key and value slice, fasthttp's bytes.
type hfield struct {
	name     string   // net/http's canonical key, "Etag"
	vals     []string // net/http's value; shared, never modified
	key, val []byte   // fasthttp's: the name as sent ("ETag") and the value
	more     [][]byte // fasthttp's further values of a field sent once per value (Link)
}

type fields []hfield

// makeFields prepares header fields from name, value pairs.
func makeFields(kv ...string) fields {
	f := make(fields, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, makeField(kv[i], kv[i+1]))
	}
	return f
}

func makeField(name, value string) hfield {
	return hfield{
		name: textproto.CanonicalMIMEHeaderKey(name),
		vals: []string{value},
		key:  []byte(name),
		val:  []byte(value),
	}
}
