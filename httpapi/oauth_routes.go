package httpapi

import "github.com/gatehouse-auth/gatehouse/authz"

// oauthRoutes registers the OAuth 2.0 / OpenID Connect endpoints (API.md, "OAuth 2.0 / OpenID
// Connect"), the device approval API and the consents of the account. The router calls it only
// when the server has a provider; without one every one of these paths is 404.
func (s *Server) oauthRoutes(rt *router) {
	// Discovery (oauth_discovery.go); /.well-known/jwks.json is in jwks.go.
	rt.public("GET /.well-known/openid-configuration", s.oauthMetadata)
	rt.public("GET /.well-known/oauth-authorization-server", s.oauthMetadata)

	// Endpoints of the RFCs, form bodies, RFC 6749 errors.
	// They are cookieless and open to browser-based apps on other origins (oauth_cors.go).
	rt.public("POST /oauth2/token", corsOpen(s.serveOAuth(s.oauthToken)))                              // oauth_token.go
	rt.public("POST /oauth2/device_authorization", corsOpen(s.serveOAuth(s.oauthDeviceAuthorization))) // oauth_device.go
	rt.public("POST /oauth2/introspect", corsOpen(s.serveOAuth(s.oauthIntrospect)))                    // oauth_introspect.go
	rt.public("POST /oauth2/revoke", corsOpen(s.serveOAuth(s.oauthRevoke)))                            // oauth_revoke.go
	rt.public("GET /oauth2/userinfo", corsOpen(s.serve(s.oauthUserInfo)))                              // oauth_userinfo.go
	rt.public("POST /oauth2/userinfo", corsOpen(s.serve(s.oauthUserInfo)))
	for _, path := range cookielessOAuthEndpoints {
		rt.public("OPTIONS "+path, corsOpen(nil)) // preflights
	}

	// First-party JSON (oauth_device.go, oauth_consents.go).
	rt.authed("GET /v1/device", authz.Mint, s.getPendingDevice)
	rt.authed("POST /v1/device/approve", authz.Mint, s.decideDevice(true))
	rt.authed("POST /v1/device/deny", authz.Mint, s.decideDevice(false))
	rt.authed("GET /v1/me/consents", authz.Read, s.listConsents)
	rt.authed("DELETE /v1/me/consents/{client_id}", authz.Write, s.revokeConsent)

	// Browser-facing: the authorization endpoint, the consent page and the device page.
	if s.Pages != nil {
		rt.page("GET /oauth2/authorize", s.oauthAuthorize)    // oauth_authorize.go
		rt.page("GET /oauth2/consent", s.oauthConsentPage)    // oauth_consent.go
		rt.page("POST /oauth2/consent", s.oauthConsentSubmit) // oauth_consent.go
		rt.page("GET /device", s.devicePage)                  // oauth_device_page.go
		rt.page("POST /device", s.deviceSubmit)               // oauth_device_page.go
	}
}
