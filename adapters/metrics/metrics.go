// Package metrics is meetbot's Prometheus face: it implements core.Observer
// on client_golang counters and histograms, adds the gauges an operator
// alerts on (leadership, the RealtimeKit API budget left, jobs pending),
// and serves them with pprof on the admin listener (see Admin).
//
// Every label value comes from a small fixed set: platform names, command
// verbs, error codes, join outcomes, job kinds, RealtimeKit operations,
// HTTP status codes and route patterns. No workspace, user or meeting id
// and no text a person typed ever becomes a label, and bounded() folds any
// value outside what a family expects into "other", so a bug upstream
// cannot grow the number of series without limit.
//
// A scrape reads only what is kept in memory: counters, histograms, and
// gauges whose functions read atomics or small in-memory structures. It
// never touches the store, so its cost does not depend on how many
// meetings are stored.
package metrics

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meetbot/meetbot/core"
)

// Namespace prefixes every meetbot metric name.
const Namespace = "meetbot"

// Buckets for request-like latencies (a command, a join open, an upstream
// call, an HTTP request): 1 ms to 10 s, where Slack's 3 s limit and a
// person's patience both fall well inside.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Buckets for scheduler lag (due → done): from on time to half an hour
// late, so "reminders go out minutes late" is visible, not just "late".
var lagBuckets = []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}

// Metrics holds meetbot's collectors on its own registry (never the
// global one, so tests and several instances in one process do not clash).
// It implements core.Observer; cmd/bot hands it to the service, the
// RealtimeKit client, the scheduler and the web handler.
type Metrics struct {
	reg *prometheus.Registry

	commands        *prometheus.CounterVec
	commandDuration *prometheus.HistogramVec
	joins           *prometheus.CounterVec
	joinDuration    *prometheus.HistogramVec
	rtkCalls        *prometheus.CounterVec
	rtkDuration     *prometheus.HistogramVec
	jobs            *prometheus.CounterVec
	jobLag          *prometheus.HistogramVec
	posts           *prometheus.CounterVec
	webhooks        *prometheus.CounterVec
	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec

	// joinSeries holds the join families' children per outcome, resolved
	// once, so the hottest path does no label hashing.
	joinSeries map[core.JoinOutcome]joinSeries

	// Label guards: each keeps a family's label values within a set.
	platforms, verbs, outcomes, ops, statuses, kinds, jobOutcomes, postKinds, events, webhookOutcomes, routes *guard
}

type joinSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

var _ core.Observer = (*Metrics)(nil)

// Options add the gauges that read another part's state at scrape time.
// Each function must be cheap and must not block (an atomic load, a short
// critical section); nil leaves the gauge out.
type Options struct {
	// Leading reports whether this process runs the scheduler now.
	Leading func() bool
	// BudgetLeft reports how many RealtimeKit calls of a priority could be
	// sent now (realtimekit.Client.BudgetLeft).
	BudgetLeft func(core.Priority) int
	// PendingJobs reports the not-yet-done due jobs by kind, from a count
	// kept in memory; nil when the store keeps none.
	PendingJobs func() map[core.JobKind]int
	// Version is the build's version, for meetbot_build_info.
	Version string
}

// New registers every meetbot family, the Go runtime collector and the
// process collector on a fresh registry.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.initGuards()
	f := factory{m.reg}
	m.commands = f.counter("commands_total", "Chat commands handled, by platform, command verb and outcome (ok or an error code).", "platform", "command", "outcome")
	m.commandDuration = f.histogram("command_duration_seconds", "Time to handle a chat command, by platform and verb.", latencyBuckets, "platform", "command")
	m.joins = f.counter("join_opens_total", "Personal join links opened, by outcome: issued, too_early, ended, refused, unavailable, error.", "outcome")
	m.joinDuration = f.histogram("join_open_duration_seconds", "Time core took to answer a join-link open (store reads, signature, any RealtimeKit call), by outcome.", latencyBuckets, "outcome")
	m.rtkCalls = f.counter("realtimekit_calls_total", "Calls to the RealtimeKit API, by operation and last HTTP status (error: no answer).", "op", "status")
	m.rtkDuration = f.histogram("realtimekit_call_duration_seconds", "Time a RealtimeKit call took, budget wait and retries included, by operation.", latencyBuckets, "op")
	m.jobs = f.counter("scheduler_jobs_total", "Due jobs run, by kind and outcome (done, retried, given_up).", "kind", "outcome")
	m.jobLag = f.histogram("scheduler_lag_seconds", "How long after its due time a job's run finished, by kind.", lagBuckets, "kind")
	m.posts = f.counter("notifier_posts_total", "Posts to chat platforms (reminders, announcements, card edits), by platform, kind and outcome.", "platform", "kind", "outcome")
	m.webhooks = f.counter("webhook_events_total", "RealtimeKit webhook deliveries, by event type and outcome (accepted, duplicate, rejected).", "event", "outcome")
	m.httpRequests = f.counter("http_requests_total", "HTTP requests on the public listener, by route pattern and status code.", "route", "code")
	m.httpDuration = f.histogram("http_request_duration_seconds", "Time to answer an HTTP request on the public listener, by route pattern.", latencyBuckets, "route")

	m.joinSeries = map[core.JoinOutcome]joinSeries{}
	for _, o := range joinOutcomes {
		m.joinSeries[o] = joinSeries{count: m.joins.WithLabelValues(string(o)), duration: m.joinDuration.WithLabelValues(string(o))}
		// Every outcome shows as 0 from the start, so a rate() alert on
		// "refused" or "unavailable" has a series to evaluate.
	}
	for _, k := range jobKinds {
		m.jobs.WithLabelValues(string(k), "done")
	}

	if o.Leading != nil {
		f.gaugeFunc("leader", "1 while this process leads (runs the scheduler), else 0.", func() float64 {
			if o.Leading() {
				return 1
			}
			return 0
		})
	}
	if o.BudgetLeft != nil {
		m.reg.MustRegister(&budgetCollector{left: o.BudgetLeft, desc: prometheus.NewDesc(
			Namespace+"_realtimekit_budget_left", "RealtimeKit API calls that could be sent now without waiting, by priority (interactive may use the whole limit, background stops at its share); 0 while paused after a 429.",
			[]string{"priority"}, nil)})
	}
	if o.PendingJobs != nil {
		m.reg.MustRegister(&pendingCollector{pending: o.PendingJobs, desc: prometheus.NewDesc(
			Namespace+"_scheduler_jobs_pending", "Due jobs not yet done (waiting, or claimed and running), by kind.",
			[]string{"kind"}, nil)})
	}
	ver, goVer := o.Version, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVer = bi.GoVersion
	}
	if ver == "" {
		ver = "dev"
	}
	bi := f.gauge("build_info", "Always 1; its labels say which build runs.", "version", "goversion")
	bi.WithLabelValues(ver, goVer).Set(1)

	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for tests and for anything that wants to
// add a collector of its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or negotiated)
// format. Errors collecting one metric are served with the rest, not as a
// failed scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// CommandDone implements core.Observer.
func (m *Metrics) CommandDone(platform core.Platform, verb, outcome string, took time.Duration) {
	p, v := m.platforms.bounded(string(platform)), m.verbs.bounded(verb)
	m.commands.WithLabelValues(p, v, m.outcomes.bounded(outcome)).Inc()
	m.commandDuration.WithLabelValues(p, v).Observe(took.Seconds())
}

// JoinOpened implements core.Observer.
func (m *Metrics) JoinOpened(outcome core.JoinOutcome, took time.Duration) {
	s, ok := m.joinSeries[outcome]
	if !ok {
		s = m.joinSeries[core.JoinFailed]
	}
	s.count.Inc()
	s.duration.Observe(took.Seconds())
}

// ConferenceCall implements core.Observer.
func (m *Metrics) ConferenceCall(op, status string, took time.Duration) {
	op = m.ops.bounded(op)
	m.rtkCalls.WithLabelValues(op, m.statuses.bounded(status)).Inc()
	m.rtkDuration.WithLabelValues(op).Observe(took.Seconds())
}

// JobRun implements core.Observer.
func (m *Metrics) JobRun(kind core.JobKind, outcome string, lag time.Duration) {
	k := m.kinds.bounded(string(kind))
	m.jobs.WithLabelValues(k, m.jobOutcomes.bounded(outcome)).Inc()
	m.jobLag.WithLabelValues(k).Observe(max(lag, 0).Seconds())
}

// NotifierPost implements core.Observer.
func (m *Metrics) NotifierPost(platform core.Platform, kind, outcome string) {
	m.posts.WithLabelValues(m.platforms.bounded(string(platform)), m.postKinds.bounded(kind), m.outcomes.bounded(outcome)).Inc()
}

// WebhookEvent implements core.Observer.
func (m *Metrics) WebhookEvent(event, outcome string) {
	m.webhooks.WithLabelValues(m.events.bounded(event), m.webhookOutcomes.bounded(outcome)).Inc()
}

// HTTPRequest counts and times one request on the public listener; route
// is the mux pattern that matched ("-" for none), never the path, which
// for a join link is the credential itself. It fits web.Options.Observe.
func (m *Metrics) HTTPRequest(route string, status int, took time.Duration) {
	route = m.routes.bounded(route)
	m.httpRequests.WithLabelValues(route, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
}

// statusLabel spells an HTTP status without allocating for the common ones.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 404:
		return "404"
	case 503:
		return "503"
	}
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}

// factory registers families under the meetbot namespace.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f factory) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeFunc(name, help string, fn func() float64) {
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, fn))
}

// budgetCollector reads the budget left per priority at scrape time.
type budgetCollector struct {
	left func(core.Priority) int
	desc *prometheus.Desc
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.left(core.PriorityInteractive)), "interactive")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.left(core.PriorityBackground)), "background")
}

// pendingCollector reads the in-memory pending-job counts at scrape time;
// every kind is reported, 0 included, so an alert always has a series.
type pendingCollector struct {
	pending func() map[core.JobKind]int
	desc    *prometheus.Desc
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.pending()
	for _, k := range jobKinds {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[k]), string(k))
	}
}

// guard keeps a label's values within a set: the values it was seeded
// with, plus up to extra more seen at run time (for sets only the caller
// knows, like route patterns); anything beyond becomes "other".
type guard struct {
	mu    sync.RWMutex
	known map[string]bool
	extra int
}

func newGuard(extra int, seed ...string) *guard {
	g := &guard{known: map[string]bool{}, extra: extra}
	for _, s := range seed {
		g.known[s] = true
	}
	return g
}

// bounded returns v when it is known (or there is still room to learn it
// and it looks like a label value, not text), else "other".
func (g *guard) bounded(v string) string {
	g.mu.RLock()
	ok := g.known[v]
	g.mu.RUnlock()
	if ok {
		return v
	}
	if g.extra == 0 || !labelish(v) {
		return "other"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.known[v] {
		return v
	}
	if g.extra == 0 {
		return "other"
	}
	g.extra--
	g.known[v] = true
	return v
}

// labelish accepts short values made of the characters identifiers,
// event types and route patterns use, so a stray sentence or id-like
// blob cannot become a label.
func labelish(v string) bool {
	if v == "" || len(v) > 48 {
		return false
	}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-', r == '/', r == '{', r == '}', r == ' ', r == '*':
		default:
			return false
		}
	}
	return true
}

// The fixed label sets.
var (
	joinOutcomes = []core.JoinOutcome{core.JoinIssued, core.JoinTooEarly, core.JoinEnded, core.JoinRefused, core.JoinUnavailable, core.JoinFailed}
	jobKinds     = core.JobKinds()
	errorCodes   = []core.Code{core.EINVALID, core.ENOTFOUND, core.EFORBIDDEN, core.ECONFLICT, core.ETOOEARLY, core.EENDED, core.EUNAVAILABLE, core.EINTERNAL}
)

// initGuards seeds each label guard. Families whose values another part
// defines (verbs, operations, webhook events, routes) may learn a few
// more at run time; the rest are closed.
func (m *Metrics) initGuards() {
	outcomes := []string{"ok"}
	for _, c := range errorCodes {
		outcomes = append(outcomes, string(c))
	}
	kinds := make([]string, 0, len(jobKinds))
	for _, k := range jobKinds {
		kinds = append(kinds, string(k))
	}
	m.platforms = newGuard(0, string(core.PlatformSlack), string(core.PlatformDiscord), string(core.PlatformConsole))
	m.verbs = newGuard(24, "unknown", "schedule", "now", "list", "info", "join", "rsvp", "skip", "move",
		"cancel", "invite", "remove", "ics", "tz", "settings", "help")
	m.outcomes = newGuard(0, outcomes...)
	m.ops = newGuard(32, "create_meeting", "list_meetings", "update_meeting", "kick_all", "add_participant",
		"list_participants", "edit_participant", "refresh_token", "kick", "delete_participant", "list_presets")
	m.statuses = newGuard(40, "error", "200", "201", "400", "401", "403", "404", "409", "422", "429", "500", "502", "503", "504")
	m.kinds = newGuard(8, kinds...)
	m.jobOutcomes = newGuard(0, "done", "retried", "given_up")
	m.postKinds = newGuard(8, "reminder", "announcement", "card")
	m.events = newGuard(32, "unknown")
	m.webhookOutcomes = newGuard(4, "accepted", "duplicate", "rejected")
	m.routes = newGuard(64, "-")
}
