package e2e

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
)

func TestPerIPRateLimitOnCredentialEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *configT) {
			c.AuthRateLimit, _ = gatehouseRate("3/m")
		})
		for i := 0; i < 3; i++ {
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"})
			mustStatus(t, r, http.StatusUnauthorized)
		}
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"})
		mustStatus(t, r, http.StatusTooManyRequests)
		if r.errorCode(t) != "rate_limited" {
			t.Fatalf("got %s", r.body)
		}
		after, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || after < 1 || after > 60 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		if ra, ok := r.json(t)["retry_after"].(float64); !ok || int(ra) != after {
			t.Fatalf("retry_after field %v does not match the header %d", r.json(t)["retry_after"], after)
		}
		// Register shares the credential endpoints' budget.
		mustStatus(t, s.do("POST", "/v1/auth/register", "", map[string]string{"username": "zed", "password": goodPassword}), http.StatusTooManyRequests)
		// Authenticated reads are not limited by it.
		mustStatus(t, s.do("GET", "/livez", "", nil), 200)
	})
}

func TestXForwardedForOnlyFromTrustedProxies(t *testing.T) {
	cases := []struct {
		name    string
		trusted string
		// distinct X-Forwarded-For values per request: with a trusted proxy each is its own
		// client and none is limited; without, they are all the one peer and get limited.
		wantLimited bool
	}{
		{"untrusted peer: header ignored", "", true},
		{"trusted loopback proxy: header believed", "127.0.0.1/32", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, backends()[0].dbURL(t), func(cfg *configT) {
				cfg.AuthRateLimit, _ = gatehouseRate("2/m")
				if c.trusted != "" {
					cfg.TrustedProxies = mustPrefixes(t, c.trusted)
				}
			})
			limited := false
			for i := 0; i < 4; i++ {
				r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "x", "password": "whatever1"}, "X-Forwarded-For", "198.51.100."+strconv.Itoa(i+1))
				if r.status == http.StatusTooManyRequests {
					limited = true
				}
			}
			if limited != c.wantLimited {
				t.Fatalf("limited = %v, want %v", limited, c.wantLimited)
			}
		})
	}
}

func TestAccountThrottleUnderParallelAttempts(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		s.register("leo", goodPassword, "")
		// 10 wrong passwords at once (what 2 hash workers and their queue of 8 admit; more would
		// be shed with 503 before counting): the throttle (5 free failures, then a growing
		// delay) must let exactly 6 reach the password check, however they interleave.
		const n = 10
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "leo", "password": "guess number " + strconv.Itoa(i)})
				statuses[i] = r.status
			}(i)
		}
		wg.Wait()
		counts := map[int]int{}
		for _, st := range statuses {
			counts[st]++
		}
		if counts[http.StatusUnauthorized] != 6 || counts[http.StatusTooManyRequests] != n-6 {
			t.Fatalf("want 6 checked (401) and %d throttled (429), got %v", n-6, counts)
		}
	})
}

func TestOperationsEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		mustStatus(t, s.do("GET", "/livez", "", nil), 200)
		mustStatus(t, s.do("GET", "/readyz", "", nil), 200)
		s.do("POST", "/v1/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"})
		r := s.do("GET", "/metrics", "", nil)
		mustStatus(t, r, 200)
		for _, want := range []string{
			`gatehouse_http_requests_total{method="POST",route="POST /v1/auth/login",status="401"} 1`,
			"gatehouse_http_request_duration_seconds_bucket",
			"gatehouse_auth_failures_total",
			"gatehouse_password_hash_running",
		} {
			if !contains(r.body, want) {
				t.Fatalf("metrics lack %q", want)
			}
		}
		// Closing the store makes the server unready.
		if err := s.m.Store.Close(); err != nil {
			t.Fatal(err)
		}
		r = s.do("GET", "/readyz", "", nil)
		mustStatus(t, r, http.StatusServiceUnavailable)
	})
}

// TestPerIPLimitsKeyIPv6ByPrefix reproduces the review's finding that an IPv6 client escaped the
// per-IP limits by changing the low 64 bits of its address (every host gets a /64): now the
// addresses of one /64 share one budget, and another /64 has its own.
func TestPerIPLimitsKeyIPv6ByPrefix(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *configT) {
			c.AuthRateLimit, _ = gatehouseRate("3/m")
			c.TrustedProxies = mustPrefixes(t, "127.0.0.1/32")
		})
		login := func(ip string) int {
			return s.do("POST", "/v1/auth/login", "", map[string]string{"username": "x", "password": "whatever1"}, "X-Forwarded-For", ip).status
		}
		for i := 1; i <= 3; i++ {
			if st := login("2001:db8:1:2::" + strconv.Itoa(i)); st != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d", i, st)
			}
		}
		if st := login("2001:db8:1:2:ffff:ffff:ffff:ffff"); st != http.StatusTooManyRequests {
			t.Fatalf("another address of the same /64: status %d, want 429", st)
		}
		if st := login("2001:db8:1:3::1"); st != http.StatusUnauthorized {
			t.Fatalf("the next /64: status %d, want its own budget", st)
		}
		if st := login("198.51.100.7"); st != http.StatusUnauthorized {
			t.Fatalf("an IPv4 client: status %d", st)
		}
	})
}

// TestPerIPLimitsOnDeviceAuthorizationAndClientRegistration reproduces the review's finding that
// anyone could start device flows, register OAuth clients and have mail sent (a change of
// address) without a per-address bound: each is limited per client address now, with its own
// budget (the credential endpoints' rate).
func TestPerIPLimitsOnDeviceAuthorizationAndClientRegistration(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *configT) {
			c.AuthRateLimit, _ = gatehouseRate("3/m")
			c.TrustedProxies = mustPrefixes(t, "127.0.0.1/32")
		})
		owner, _ := s.register("owner", goodPassword, "")
		orgID := s.createOrg(owner, "Acme")
		mails := 0
		endpoints := []struct {
			name string
			send func(ip string) response
			ok   int
		}{
			{"device authorization", func(ip string) response {
				return s.do("POST", "/oauth2/device_authorization", "", "client_id=gatehouse-cli&scope=openid",
					"Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", ip)
			}, http.StatusOK},
			{"a change of address (it mails)", func(ip string) response {
				mails++
				return s.do("PATCH", "/v1/me", owner, map[string]string{"email": "owner" + strconv.Itoa(mails) + "@example.com"}, "X-Forwarded-For", ip)
			}, http.StatusAccepted},
			{"OAuth client registration", func(ip string) response {
				return s.do("POST", "/v1/orgs/"+orgID+"/oauth-clients", owner, map[string]any{
					"name": "svc", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"},
				}, "X-Forwarded-For", ip)
			}, http.StatusCreated},
		}
		for i, e := range endpoints {
			t.Run(e.name, func(t *testing.T) {
				ip := "203.0.113." + strconv.Itoa(10+i)
				for n := 1; n <= 3; n++ {
					mustStatus(t, e.send(ip), e.ok)
				}
				r := e.send(ip)
				mustStatus(t, r, http.StatusTooManyRequests)
				if r.header.Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
				mustStatus(t, e.send("203.0.113.99"), e.ok) // another client has its own budget
			})
		}
	})
}
