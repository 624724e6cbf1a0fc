package store

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Records are stored as CBOR (RFC 8949) maps with small integer keys, the
// cbor tags of the model types: a fifth the CPU of JSON to encode and
// decode, about two thirds of its size, and new fields can be added
// without rewriting old records. Times are RFC 3339 strings with
// nanoseconds, exact for file mtimes.
var (
	encMode = mustEncMode(cbor.EncOptions{Time: cbor.TimeRFC3339Nano})
	decMode = mustDecMode(cbor.DecOptions{})
)

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(fmt.Sprintf("store: cbor encoder options: %v", err))
	}
	return m
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(fmt.Sprintf("store: cbor decoder options: %v", err))
	}
	return m
}

func encode(v any) ([]byte, error) { return encMode.Marshal(v) }

// decode decodes data into v. data may be memory bbolt owns; decoded
// values never alias it (strings and byte slices are copied).
func decode(data []byte, v any) error { return decMode.Unmarshal(data, v) }
