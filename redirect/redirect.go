// Package redirect decides where a redirect parameter (a sign-in form's next, the logout's
// redirect_to) may send a browser: one function, Target, for every such parameter.
package redirect

import (
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Fallback is where a refused target leads: the root of the page's own origin.
const Fallback = "/"

// MaxLen bounds a target. 8 KiB: an authorization request (/oauth2/authorize?…) with a long
// state must survive the trip through /login.
const MaxLen = 8192

// self is the base local targets are resolved against; only its host is compared.
var self = &url.URL{Scheme: "https", Host: "self.invalid", Path: "/"}

// Target returns where a redirect to raw may go, normalised, or Fallback:
//   - a path on this server ("/account?tab=tokens"), its dot segments resolved;
//   - an absolute http(s) URL whose origin, normalised (lowercase, default port omitted), is
//     one of origins (in that canonical form: scheme://host[:port]).
//
// Refused: an empty or over-long target; a backslash, raw or (before the query)
// percent-encoded, since browsers read it as a slash; a control character, space or other Unicode space; a scheme-relative
// target (//host); a path that hides a slash, dot, percent sign or control character behind
// percent-encoding; user information; any other scheme; any other origin; anything that does
// not parse as a URL.
func Target(raw string, origins []string) string {
	if raw == "" || len(raw) > MaxLen || !plain(raw) {
		return Fallback
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return Fallback
	}
	if u.Scheme == "" && u.Host == "" {
		// A reference on this server: only a path-absolute one, never "//host" (which the
		// parser already read as a host) nor a relative "x" or "?x".
		// ("///host" parses as an empty host, but browsers skip every slash to find one).
		if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
			return Fallback
		}
		p, ok := localPath(u)
		if !ok {
			return Fallback
		}
		return p
	}
	origin, ok := Origin(u.Scheme + "://" + u.Host)
	if !ok || !allowed(origin, origins) {
		return Fallback
	}
	p, ok := localPath(&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, ForceQuery: u.ForceQuery, Fragment: u.Fragment, RawFragment: u.RawFragment})
	if !ok {
		return Fallback
	}
	return origin + p
}

// plain reports whether raw has no backslash (raw, or percent-encoded before the query), no
// control character and no space or invisible formatting character of any kind.
func plain(raw string) bool {
	// Before the query a percent-encoded backslash is a backslash to some reader; in the query
	// and fragment it is data (an OAuth state, say) that no browser turns into a separator.
	head, _, _ := strings.Cut(raw, "?")
	head, _, _ = strings.Cut(head, "#")
	if strings.Contains(raw, `\`) || strings.Contains(strings.ToLower(head), "%5c") {
		return false
	}
	for _, r := range raw {
		if r == ' ' || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// localPath is u's path (dot segments resolved, repeated slashes collapsed), query and fragment
// as a path-absolute reference, or false when the path hides a separator behind
// percent-encoding or still leads off the origin once resolved.
func localPath(u *url.URL) (string, bool) {
	esc := u.EscapedPath()
	if esc == "" {
		esc = "/"
	}
	if !strings.HasPrefix(esc, "/") || hidden(esc) {
		return "", false
	}
	res := self.ResolveReference(&url.URL{Path: u.Path, RawPath: u.RawPath})
	if res.Host != self.Host {
		return "", false
	}
	p := path.Clean(res.EscapedPath())
	if strings.HasSuffix(esc, "/") && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "", false
	}
	if u.RawQuery != "" || u.ForceQuery {
		p += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		p += "#" + u.EscapedFragment()
	}
	return p, true
}

// hidden reports whether an escaped path percent-encodes a slash, a dot, a percent sign (a
// second round of encoding) or a control character: a legitimate target of Gatehouse's pages
// never does, and each can turn into a separator for whoever decodes it next.
func hidden(esc string) bool {
	for i := 0; i < len(esc); i++ {
		if esc[i] != '%' {
			continue
		}
		if i+2 >= len(esc) {
			return true
		}
		n, err := strconv.ParseUint(esc[i+1:i+3], 16, 8)
		if err != nil || n == '/' || n == '.' || n == '%' || n == '\\' || n < 0x20 || n == 0x7f {
			return true
		}
	}
	return false
}

// allowed reports whether origin (canonical) is one of origins, each normalised the same way.
func allowed(origin string, origins []string) bool {
	return slices.ContainsFunc(origins, func(o string) bool {
		c, ok := Origin(o)
		return ok && c == origin
	})
}

// Origin returns the canonical form of an http(s) origin, scheme://host[:port] (a trailing "/"
// tolerated): lowercase, default port omitted, IPv6 hosts in brackets; false for anything
// else (another scheme, user information, a path, query or fragment, a bad port).
func Origin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https",
		u.Opaque != "", u.Host == "", u.Hostname() == "", u.User != nil,
		u.Path != "" && u.Path != "/",
		u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", false
		}
		port = strconv.Itoa(n)
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		if strings.Contains(host, ":") {
			return scheme + "://[" + host + "]", true
		}
		return scheme + "://" + host, true
	}
	return scheme + "://" + net.JoinHostPort(host, port), true
}
