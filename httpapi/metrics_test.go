package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// scrape returns the /metrics text of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rr := httptest.NewRecorder()
	m.Handler().ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rr.Code != http.StatusOK {
		t.Fatalf("/metrics status = %d", rr.Code)
	}
	return rr.Body.String()
}

func TestMetricsMiddleware(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("POST /v1/items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /v1/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.Handle("GET /metrics", m.Handler())

	// The lead's order: metrics inside Recover, and LimitBody handing the mux a new request.
	h := Chain(mux, RequestContext(slog.New(slog.DiscardHandler)), Recover, m.Middleware, LimitBody)
	srv := httptest.NewServer(h)
	defer srv.Close()

	do := func(method, path string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for _, id := range []string{"usr_1", "usr_2", "secret-looking-id-3"} {
		do(http.MethodGet, "/v1/items/"+id)
	}
	do(http.MethodPost, "/v1/items")
	do(http.MethodGet, "/not/a/route/usr_4")
	do(http.MethodGet, "/v1/boom")
	do("PURGE", "/v1/items")

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(raw)

	for _, want := range []string{
		`gatehouse_http_requests_total{method="GET",route="GET /v1/items/{id}",status="200"} 3`,
		`gatehouse_http_requests_total{method="POST",route="POST /v1/items",status="201"} 1`,
		`gatehouse_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`gatehouse_http_requests_total{method="GET",route="GET /v1/boom",status="500"} 1`,
		`gatehouse_http_requests_total{method="other",route="unmatched",status="405"} 1`,
		`gatehouse_http_request_duration_seconds_count{method="GET",route="GET /v1/items/{id}"} 3`,
		`gatehouse_http_request_duration_seconds_bucket{method="POST",route="POST /v1/items",le="+Inf"} 1`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, raw := range []string{"usr_1", "usr_2", "secret-looking-id-3", "/not/a/route", "PURGE"} {
		if strings.Contains(out, raw) {
			t.Errorf("metrics contain the raw path/method part %q", raw)
		}
	}
}

func TestMetricsDomainCountersAndHashQueue(t *testing.T) {
	m := NewMetrics()
	m.AuthFailures.WithLabelValues("invalid_credentials").Add(2)
	m.RateLimited.WithLabelValues("auth_ip").Inc()
	m.RegisterHashQueue(func() (int, int, uint64) { return 2, 5, 7 })
	out := scrape(t, m)
	for _, want := range []string{
		`gatehouse_auth_failures_total{reason="invalid_credentials"} 2`,
		`gatehouse_rate_limited_total{limiter="auth_ip"} 1`,
		"gatehouse_password_hash_running 2\n",
		"gatehouse_password_hash_waiting 5\n",
		"gatehouse_password_hash_rejected_total 7\n",
		"# TYPE gatehouse_password_hash_rejected_total counter",
		"# TYPE gatehouse_password_hash_running gauge",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestMetricsRegistriesAreIndependent(t *testing.T) {
	a, b := NewMetrics(), NewMetrics() // would panic on a shared registry
	a.AuthFailures.WithLabelValues("x").Inc()
	if out := scrape(t, b); strings.Contains(out, "gatehouse_auth_failures_total{") {
		t.Error("a counter of one Metrics shows in another's output")
	}
}

func TestNilMetricsMiddleware(t *testing.T) {
	var m *Metrics
	reached := false
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !reached {
		t.Error("nil Metrics did not pass the request through")
	}
}

func TestMethodLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET", "GET"}, {"DELETE", "DELETE"}, {"PURGE", "other"}, {"get", "other"}, {"", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := methodLabel(tt.in); got != tt.want {
				t.Errorf("methodLabel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
