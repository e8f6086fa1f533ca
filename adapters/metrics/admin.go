package metrics

import (
	"net/http"
	"net/http/pprof"
)

// Admin returns the admin listener's handler: GET /metrics and the
// net/http/pprof pages under /debug/pprof/. It is meant for
// http.admin_listen only, an address operators reach and the public does
// not: profiles show function names and timings, and a CPU profile costs
// the process while it runs. The handlers are mounted on this handler's
// own mux; nothing is registered on http.DefaultServeMux's behalf that
// any listener serves.
func (m *Metrics) Admin() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("meetbot admin\n/metrics        Prometheus metrics\n/debug/pprof/  profiles\n"))
	})
	return mux
}
