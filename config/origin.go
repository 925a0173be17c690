package config

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/redirect"
)

// parseOrigin parses an absolute http(s) origin, scheme://host[:port] (a trailing "/" is
// tolerated), and returns it in redirect.Origin's canonical form (the one browsers send in the
// Origin header: lowercase, default port omitted, IPv6 hosts in brackets), saying what is wrong
// with one that is not.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("want http:// or https://")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", errors.New("want scheme://host[:port]")
	case u.User != nil:
		return "", errors.New("must not contain a user or password")
	case u.Path != "" && u.Path != "/":
		return "", errors.New("must not have a path")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", errors.New("must not have a query or fragment")
	}
	if n, err := strconv.Atoi(u.Port()); u.Port() != "" && (err != nil || n < 1 || n > 65535) {
		return "", errors.New("the port must be a number from 1 to 65535")
	}
	o, ok := redirect.Origin(s) // the one canonical form, the one redirects compare with
	if !ok {
		return "", errors.New("want scheme://host[:port]")
	}
	return o, nil
}

// canonicalOriginOrSelf is parseOrigin's result, or s itself when s is not an origin (Validate
// then reports it).
func canonicalOriginOrSelf(s string) string {
	if o, err := parseOrigin(s); err == nil {
		return o
	}
	return s
}
