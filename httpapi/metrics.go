package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds Gatehouse's Prometheus collectors on a registry of their own (never the global
// default), so that several servers can live in one process (tests).
type Metrics struct {
	Registry *prometheus.Registry

	// Requests counts HTTP requests: gatehouse_http_requests_total{route,method,status}.
	Requests *prometheus.CounterVec
	// Duration is the request latency: gatehouse_http_request_duration_seconds{route,method}.
	Duration *prometheus.HistogramVec
	// AuthFailures counts failed authentications: gatehouse_auth_failures_total{reason}.
	// reason is a short fixed word chosen by the caller (e.g. "invalid_credentials"), never
	// user input.
	AuthFailures *prometheus.CounterVec
	// RateLimited counts requests refused by a rate limiter:
	// gatehouse_rate_limited_total{limiter}, limiter being the limiter's fixed name.
	RateLimited *prometheus.CounterVec
}

// durationBuckets spans cached reads (sub-millisecond) to password hashing under load (seconds).
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewMetrics returns the collectors registered on a new registry together with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: durationBuckets,
		}, []string{"route", "method"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_auth_failures_total",
			Help: "Failed authentications by reason.",
		}, []string{"reason"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_rate_limited_total",
			Help: "Requests refused by a rate limiter, by limiter.",
		}, []string{"limiter"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Requests, m.Duration, m.AuthFailures, m.RateLimited,
	)
	return m
}

// Middleware counts and times every request by route pattern (r.Pattern as set by ServeMux, or
// "unmatched"; never the raw path, whose values are unbounded), method and status. It must wrap
// the ServeMux directly or through other middleware of this package (see the package doc).
// A nil *Metrics passes requests through untouched.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r, st := withState(r)
		rec := recorderFor(w)
		completed := false
		defer func() {
			notePattern(r)
			route, method := routeOf(r, st), methodLabel(r.Method)
			m.Requests.WithLabelValues(route, method, strconv.Itoa(rec.statusOr(completed))).Inc()
			m.Duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
		completed = true
	})
}

// methodLabel keeps the method label bounded: the standard methods as they are, anything else
// "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// RegisterHashQueue exports the password-hash worker limit read from stats at each scrape:
// gatehouse_password_hash_running and gatehouse_password_hash_waiting (gauges) and
// gatehouse_password_hash_rejected_total (counter). Call it once; a second call panics
// (duplicate registration).
func (m *Metrics) RegisterHashQueue(stats func() (running, waiting int, rejected uint64)) {
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_password_hash_running",
			Help: "Password hashes being computed now.",
		}, func() float64 { running, _, _ := stats(); return float64(running) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_password_hash_waiting",
			Help: "Password hashes waiting for a worker.",
		}, func() float64 { _, waiting, _ := stats(); return float64(waiting) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gatehouse_password_hash_rejected_total",
			Help: "Password hashes refused because the queue was full (answered with 503).",
		}, func() float64 { _, _, rejected := stats(); return float64(rejected) }),
	)
}

// Handler serves the registry in the Prometheus exposition format (mount it at /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.Registry,
		promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
}
