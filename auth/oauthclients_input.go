package auth

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse"
)

// The checks of an OAuth client registration: grant types, redirect URIs and scopes.

// checkInput validates in and returns the client it describes (without identity or
// secret). The rules:
//   - name: 1–64 characters, no control characters;
//   - grant_types: non-empty, from authorization_code, refresh_token, client_credentials and the
//     device code grant; implicit and password are refused by name; public clients cannot use
//     client_credentials; refresh_token needs authorization_code or device_code;
//   - redirect_uris: required with authorization_code and only allowed with it; see
//     redirectURIProblem;
//   - scopes: non-empty; openid, profile, email, offline_access (only with refresh_token) and
//     resource scopes (Config.APIResources); the reserved gatehouse:verify is never an OAuth
//     client's; gatehouse:introspect (administrators only, checked by CreateOAuthClient) needs
//     the client_credentials grant and is never put on a token.
func (s *OAuthClients) checkInput(in OAuthClientInput) (*gatehouse.OAuthClient, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	if err := checkProfileText("name", name, maxOAuthClientNameLen); err != nil {
		return nil, err
	}
	grants, err := checkGrantTypes(in.GrantTypes, in.Public)
	if err != nil {
		return nil, err
	}
	uris, err := checkRedirectURIs(in.RedirectURIs, grants, in.Public)
	if err != nil {
		return nil, err
	}
	scopes, err := s.checkScopes(in.Scopes, grants)
	if err != nil {
		return nil, err
	}
	return &gatehouse.OAuthClient{Name: name, Public: in.Public, RedirectURIs: uris, GrantTypes: grants, Scopes: scopes}, nil
}

func checkGrantTypes(in []string, public bool) ([]string, error) {
	grants := compactScopes(in)
	if len(grants) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "grant_types must name at least one of %s.", strings.Join(knownGrantTypes, ", "))
	}
	for _, g := range grants {
		switch {
		case g == "implicit" || g == "token":
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The implicit grant is not supported (OAuth 2.0 Security BCP); use authorization_code with PKCE.")
		case g == "password":
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The password grant is not supported (OAuth 2.0 Security BCP); use authorization_code with PKCE or the device code grant.")
		case !slices.Contains(knownGrantTypes, g):
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Unknown grant type %q (known: %s).", truncate(g, 64), strings.Join(knownGrantTypes, ", "))
		}
	}
	if public && slices.Contains(grants, GrantClientCredentials) {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Public clients cannot use client_credentials: they have no secret.")
	}
	if slices.Contains(grants, GrantRefreshToken) && !slices.Contains(grants, GrantAuthorizationCode) && !slices.Contains(grants, GrantDeviceCode) {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "refresh_token needs authorization_code or the device code grant.")
	}
	return grants, nil
}

// checkRedirectURIs checks the redirect URIs: required with authorization_code (and refused
// without it), at most 20, duplicates dropped, each as redirectURIProblem says.
func checkRedirectURIs(in []string, grants []string, public bool) ([]string, error) {
	if len(in) > maxRedirectURIs {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris may have at most %d entries.", maxRedirectURIs)
	}
	code := slices.Contains(grants, GrantAuthorizationCode)
	if code && len(in) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris is required with the authorization_code grant.")
	}
	if !code && len(in) > 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris are only used by the authorization_code grant.")
	}
	out := make([]string, 0, len(in))
	for i, u := range in {
		if problem := redirectURIProblem(u, public); problem != "" {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris[%d]: %s", i, problem)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// redirectURIProblem checks one redirect URI (stored as given: /authorize matches it exactly)
// and returns what is wrong with it, "" when nothing:
//   - absolute, at most 2000 bytes, no spaces or control characters, no fragment (RFC 6749
//     §3.1.2), no user information;
//   - https with a host; or http only on a loopback host — 127.0.0.1, [::1] or localhost (RFC
//     8252 §7.3; any port);
//   - or, for public (native) clients only, a private-use scheme in reverse-DNS form with a dot,
//     such as com.example.app:/callback (RFC 8252 §7.1). That rule also keeps out javascript:,
//     data:, file: and the like.
func redirectURIProblem(raw string, public bool) string {
	if raw == "" {
		return "a redirect URI may not be empty."
	}
	if len(raw) > maxRedirectURILen {
		return fmt.Sprintf("a redirect URI has at most %d bytes.", maxRedirectURILen)
	}
	for _, r := range raw {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "a redirect URI may not contain spaces or control characters."
		}
	}
	if strings.Contains(raw, "#") {
		return "a redirect URI may not have a fragment (#)."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "a redirect URI must be an absolute URI such as https://app.example.com/callback."
	}
	if u.User != nil {
		return "a redirect URI may not contain user information."
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "https":
		if u.Hostname() == "" {
			return "an https redirect URI needs a host."
		}
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
		default:
			return "http is allowed only on loopback hosts (127.0.0.1, [::1], localhost); use https."
		}
	default:
		if !public {
			return "custom URI schemes are for public (native) clients; confidential clients use https."
		}
		if !strings.Contains(scheme, ".") {
			return "a custom URI scheme must be in reverse-DNS form, such as com.example.app:/callback."
		}
		if u.Opaque == "" && u.Path == "" && u.Host == "" {
			return "a custom-scheme redirect URI needs a path, such as com.example.app:/callback."
		}
	}
	return ""
}

// checkScopes checks the scopes a client may request.
func (s *OAuthClients) checkScopes(in []string, grants []string) ([]string, error) {
	scopes := compactScopes(in)
	if len(scopes) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "scopes must name at least one scope, e.g. \"openid\" or \"calls:read\".")
	}
	if len(scopes) > maxOAuthClientScopes {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A client may have at most %d scopes.", maxOAuthClientScopes)
	}
	var resource []string
	for _, sc := range scopes {
		switch {
		case sc == gatehouse.ReservedScopeVerify:
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s cannot be given to an OAuth client.", sc)
		case sc == gatehouse.ReservedScopeIntrospect:
			if !slices.Contains(grants, GrantClientCredentials) {
				return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s is for confidential service clients: it needs the client_credentials grant.", sc)
			}
			// a grant of the client itself, checked by CreateOAuthClient (administrators only)
		case sc == ScopeOfflineAccess && !slices.Contains(grants, GrantRefreshToken):
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "offline_access needs the refresh_token grant.")
		case slices.Contains(oidcScopes, sc):
		default:
			resource = append(resource, sc)
		}
	}
	if err := gatehouse.ValidateScopes(resource, s.resources, false); err != nil {
		var e *gatehouse.Error
		if errors.As(err, &e) && e.Code == gatehouse.CodeInvalidRequest {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s Scopes are %s or resource:read / resource:write.", e.Message, strings.Join(oidcScopes, ", "))
		}
		return nil, err
	}
	return scopes, nil
}
