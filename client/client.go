package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// DefaultUserAgent is the User-Agent the client sends unless WithUserAgent sets another.
const DefaultUserAgent = "gatehouse-go"

// maxResponseBytes bounds how much of an answer the client reads.
const maxResponseBytes = 8 << 20

// maxPages bounds how many pages a list follows, so that a misbehaving server cannot keep the
// client looping.
const maxPages = 1000

// Client talks to one Gatehouse server. It is immutable and safe for concurrent use.
type Client struct {
	base      string // without a trailing slash
	token     string
	http      *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithToken sets the bearer credential sent with every request: a session token, a personal
// access token, an agent session or an API key.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient sets the HTTP client used for requests (default: a client with a 30 s
// timeout).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for the Gatehouse server at baseURL (e.g. "https://auth.example.com").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		http:      &http.Client{Timeout: 30 * time.Second},
		userAgent: DefaultUserAgent,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// As returns a copy of c that authenticates with token.
func (c *Client) As(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// BaseURL is the server's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// do sends one request. in, when non-nil, is the JSON body; out, when non-nil, receives the JSON
// answer of a 2xx response. Any other status is returned as a *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	_, err := c.send(ctx, method, path, c.token, in, out)
	return err
}

// send is do with an explicit bearer credential; it returns the response headers of a 2xx
// answer.
func (c *Client) send(ctx context.Context, method, path, bearer string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("gatehouse: encoding the %s %s request: %w", method, pathOnly(path), err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("gatehouse: %s %s: %w", method, pathOnly(path), err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the URL; the path has no secrets (they travel in bodies and headers).
		return nil, fmt.Errorf("gatehouse: %s %s: %w", method, pathOnly(path), unwrapURLError(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("gatehouse: %s %s: reading the answer: %w", method, pathOnly(path), err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, errorFromResponse(res, data)
	}
	if out != nil && res.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("gatehouse: %s %s: decoding the answer (HTTP %d): %w", method, pathOnly(path), res.StatusCode, err)
		}
	}
	return res.Header, nil
}

// listAll fetches every page of a list endpoint (apiwire.List), following next_cursor.
func listAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	out := []T{}
	cursor := ""
	seen := map[string]bool{}
	for range maxPages {
		p := path
		if cursor != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + url.QueryEscape(cursor)
		}
		var pg apiwire.List[T]
		if err := c.do(ctx, http.MethodGet, p, nil, &pg); err != nil {
			return nil, err
		}
		out = append(out, pg.Data...)
		if pg.NextCursor == "" || seen[pg.NextCursor] {
			return out, nil
		}
		seen[pg.NextCursor] = true
		cursor = pg.NextCursor
	}
	return out, nil
}

// pathOnly drops the query string from path (for error messages).
func pathOnly(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// unwrapURLError returns the cause inside a *url.Error, whose text would repeat the URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok && ue.Err != nil {
		return ue.Err
	}
	return err
}

// seg escapes one path segment (an ID or a name from the caller).
func seg(s string) string { return url.PathEscape(s) }
