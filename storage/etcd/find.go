package etcd

import (
	"context"
)

// findRecord is every point lookup of the store: key names the record (or
// keyErr says why it cannot exist), the read goes through the read cache,
// a missing key answers notFound() (made only then: the warm join path
// reads on every open), and decode turns the stored bytes into a
// fresh value, so callers get copies and the error codes stay the same
// across record kinds.
func findRecord[T any](ctx context.Context, db *DB, key string, keyErr error, notFound func() error, decode func([]byte) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if keyErr != nil {
		return zero, keyErr
	}
	v, _, found, err := db.readOne(ctx, key)
	if err != nil {
		return zero, err
	}
	if !found {
		return zero, notFound()
	}
	out, err := decode(v)
	if err != nil {
		return zero, internal(err)
	}
	return out, nil
}
