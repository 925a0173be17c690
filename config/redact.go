package config

import (
	"regexp"
	"strings"
)

// secretParam matches key=value pairs whose key names a secret (password=, sslpassword=,
// pass=, secret=, token=, ...) in a query string or a key/value DSN.
var secretParam = regexp.MustCompile(`(?i)([a-z_]*(?:pass|secret|token)[a-z_]*=)[^&\s]*`)

// redactURL returns raw with its userinfo password and secret-looking parameters replaced by
// "xxxxx". It works on text that is not a valid URL too (it does not rely on url.Parse, whose
// errors would echo the whole value), and errs towards hiding too much: everything between the
// first ':' after the scheme and the last '@' is treated as a password.
func redactURL(raw string) string {
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo := rest[:at]
		if colon := strings.Index(userinfo, ":"); colon >= 0 {
			rest = userinfo[:colon+1] + "xxxxx" + rest[at:]
		}
	}
	return secretParam.ReplaceAllString(scheme+rest, "${1}xxxxx")
}
