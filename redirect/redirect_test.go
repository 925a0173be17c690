package redirect

import (
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	origins := []string{"https://app.example.com", "http://localhost:3000"}
	tests := []struct {
		name, in, want string
	}{
		// Allowed, normalised.
		{"root", "/", "/"},
		{"path", "/account", "/account"},
		{"path and query", "/account/tokens?tab=1&x=%2F", "/account/tokens?tab=1&x=%2F"},
		{"authorization request", "/oauth2/authorize?client_id=cli_1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=a%5Cb",
			"/oauth2/authorize?client_id=cli_1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=a%5Cb"},
		{"fragment", "/account#tokens", "/account#tokens"},
		{"encoded backslash in the query is data", "/account?x=%5C", "/account?x=%5C"},
		{"trailing slash kept", "/account/", "/account/"},
		{"dot segments resolved", "/a/./b/../c", "/a/c"},
		{"dot dot above the root", "/../../account", "/account"},
		{"repeated inner slashes collapsed", "/a//b", "/a/b"},
		{"dot segment then two slashes stays local", "/.//evil.example", "/evil.example"},
		{"encoded non-ASCII path", "/caf%C3%A9", "/caf%C3%A9"},
		{"allowed origin", "https://app.example.com/bye", "https://app.example.com/bye"},
		{"allowed origin without a path", "https://app.example.com", "https://app.example.com/"},
		{"allowed origin, case and default port", "HTTPS://App.Example.COM:443/bye?x=1", "https://app.example.com/bye?x=1"},
		{"allowed origin with its port", "http://localhost:3000/done", "http://localhost:3000/done"},
		{"allowed origin, dot segments", "https://app.example.com/a/../b", "https://app.example.com/b"},

		// Refused: nothing, or too much.
		{"empty", "", "/"},
		{"too long", "/" + strings.Repeat("a", MaxLen), "/"},
		// Backslashes, raw or encoded (browsers read them as slashes).
		{"dot segment then backslash (the review)", `/./\evil.example`, "/"},
		{"slash backslash", `/\evil.example`, "/"},
		{"backslash slash", `\/evil.example`, "/"},
		{"two backslashes", `\\evil.example`, "/"},
		{"dot dot then backslash", `/a/../\evil.example`, "/"},
		{"backslash in the query", `/account?x=\`, "/"},
		{"encoded backslash", "/%5Cevil.example", "/"},
		{"encoded backslash, lowercase", "/%5cevil.example", "/"},
		{"encoded backslash after a dot segment", "/./%5cevil.example", "/"},
		{"encoded backslash in the host", "https://evil.example%5C.app.example.com/", "/"},
		{"encoded backslash before an at", "https://app.example.com%5C@evil.example/", "/"},
		{"allowed origin then backslash userinfo", `https://app.example.com\@evil.example/`, "/"},
		// Scheme-relative.
		{"scheme-relative", "//evil.example/", "/"},
		{"scheme-relative, three slashes", "///evil.example/", "/"},
		{"scheme-relative to an allowed host", "//app.example.com/", "/"},
		// Control characters and spaces (browsers strip some of them).
		{"tab inside the slashes", "/\t/evil.example", "/"},
		{"newline inside the slashes", "/\n/evil.example", "/"},
		{"carriage return", "/x\rSet-Cookie: a=b", "/"},
		{"header injection", "/x\r\nSet-Cookie: a=b", "/"},
		{"NUL", "/\x00/evil.example", "/"},
		{"DEL", "/\x7f/evil.example", "/"},
		{"leading space", " //evil.example", "/"},
		{"trailing space", "/account ", "/"},
		{"no-break space", "/\u00a0/evil.example", "/"},
		{"line separator", "/\u2028/evil.example", "/"},
		{"zero-width space", "/\u200b/evil.example", "/"},
		{"invalid UTF-8", "/\xff/evil.example", "/"},
		// Separators hidden behind percent-encoding.
		{"encoded slash", "/%2F/evil.example", "/"},
		{"encoded slash, lowercase", "/%2f%2fevil.example", "/"},
		{"encoded dots", "/%2e%2e/%2e%2e/evil.example", "/"},
		{"double encoding", "/%252F%252Fevil.example", "/"},
		{"encoded tab", "/%09/evil.example", "/"},
		{"encoded newline", "/%0a/evil.example", "/"},
		{"truncated escape", "/a%2", "/"},
		{"bad escape", "/a%zz", "/"},
		// Other origins and userinfo tricks.
		{"foreign origin", "https://evil.example/", "/"},
		{"foreign origin, allowed host as a subdomain", "https://app.example.com.evil.example/", "/"},
		{"allowed host as userinfo", "https://app.example.com@evil.example/", "/"},
		{"allowed host with userinfo", "https://user:pass@app.example.com/", "/"},
		{"encoded at in userinfo", "https://app.example.com%40evil.example/", "/"},
		{"allowed origin in the fragment", "https://evil.example/#https://app.example.com", "/"},
		{"allowed origin in the query", "https://evil.example/?https://app.example.com", "/"},
		{"other scheme of an allowed host", "http://app.example.com/", "/"},
		{"other port of an allowed host", "https://app.example.com:8443/", "/"},
		{"allowed port with another scheme", "https://localhost:3000/", "/"},
		{"bad port", "https://app.example.com:99999/", "/"},
		{"scheme without slashes", "https:evil.example", "/"},
		{"scheme with one slash", "https:/evil.example", "/"},
		{"scheme-relative with a scheme-less host and port", "//evil.example:443", "/"},
		// Other schemes.
		{"javascript", "javascript:alert(document.domain)", "/"},
		{"javascript, mixed case", "JaVaScRiPt:alert(1)", "/"},
		{"javascript with slashes", "javascript://app.example.com/%0aalert(1)", "/"},
		{"data", "data:text/html,<script>alert(1)</script>", "/"},
		{"file", "file:///etc/passwd", "/"},
		{"ftp of an allowed host", "ftp://app.example.com/", "/"},
		// Relative forms that are not paths.
		{"relative path", "account", "/"},
		{"dot relative", "./account", "/"},
		{"query only", "?next=//evil.example", "/"},
		{"fragment only", "#x", "/"},
		{"host-looking relative", "evil.example", "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Target(tc.in, origins); got != tc.want {
				t.Errorf("Target(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestTargetWithoutOrigins: the sign-in forms pass no origins, so every absolute URL is refused,
// the server's own included.
func TestTargetWithoutOrigins(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"local path", "/account", "/account"},
		{"absolute URL", "https://app.example.com/x", "/"},
		{"localhost", "http://localhost/x", "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Target(tc.in, nil); got != tc.want {
				t.Errorf("Target(%q, nil) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "https://app.example.com", "https://app.example.com", true},
		{"trailing slash", "https://app.example.com/", "https://app.example.com", true},
		{"case and default port", "HTTPS://APP.example.com:443", "https://app.example.com", true},
		{"http default port", "http://app.example.com:80", "http://app.example.com", true},
		{"other port", "http://localhost:03000", "http://localhost:3000", true},
		{"IPv6", "https://[::1]:8443", "https://[::1]:8443", true},
		{"path", "https://app.example.com/x", "", false},
		{"userinfo", "https://u@app.example.com", "", false},
		{"other scheme", "ftp://app.example.com", "", false},
		{"no host", "https://", "", false},
		{"port zero", "https://app.example.com:0", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Origin(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Origin(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
