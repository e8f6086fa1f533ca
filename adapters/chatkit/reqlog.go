package chatkit

import (
	"context"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// RequestLogger returns log with the HTTP request id of ctx, when ctx is
// an HTTP request's (adapters/web's middleware gives every request an id,
// sends it back as X-Request-Id and adds it to its own lines). The chat
// adapters log with their own injected loggers, so without this their
// lines about a command could not be matched to the request that carried
// it. Deliveries that came over a socket have no id and get log as it is.
func RequestLogger(ctx context.Context, log zerolog.Logger) zerolog.Logger {
	if id, ok := hlog.IDFromCtx(ctx); ok {
		return log.With().Str("request_id", id.String()).Logger()
	}
	return log
}
