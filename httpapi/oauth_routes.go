package httpapi

import "net/http"

// oauthRoutes registers the OAuth 2.0 / OpenID Connect endpoints (API.md, "OAuth 2.0 / OpenID
// Connect"), the device approval API and the consents of the account. The router calls it only
// when the server has a provider; without one every one of these paths is 404.
func (s *Server) oauthRoutes(mux *http.ServeMux) {
	// Discovery (oauth_discovery.go); /.well-known/jwks.json is in jwks.go.
	mux.HandleFunc("GET /.well-known/openid-configuration", s.oauthMetadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.oauthMetadata)

	// Endpoints of the RFCs, form bodies, RFC 6749 errors.
	// They are cookieless and open to browser-based apps on other origins (oauth_cors.go).
	mux.HandleFunc("POST /oauth2/token", corsOpen(s.serveOAuth(s.oauthToken)))                              // oauth_token.go
	mux.HandleFunc("POST /oauth2/device_authorization", corsOpen(s.serveOAuth(s.oauthDeviceAuthorization))) // oauth_device.go
	mux.HandleFunc("POST /oauth2/introspect", corsOpen(s.serveOAuth(s.oauthIntrospect)))                    // oauth_introspect.go
	mux.HandleFunc("POST /oauth2/revoke", corsOpen(s.serveOAuth(s.oauthRevoke)))                            // oauth_revoke.go
	mux.HandleFunc("GET /oauth2/userinfo", corsOpen(s.serve(s.oauthUserInfo)))                              // oauth_userinfo.go
	mux.HandleFunc("POST /oauth2/userinfo", corsOpen(s.serve(s.oauthUserInfo)))
	for _, path := range cookielessOAuthEndpoints {
		mux.HandleFunc("OPTIONS "+path, corsOpen(nil)) // preflights
	}

	// First-party JSON (oauth_device.go, oauth_consents.go).
	mux.HandleFunc("GET /v1/device", s.authed(s.getPendingDevice))
	mux.HandleFunc("POST /v1/device/approve", s.authed(s.decideDevice(true)))
	mux.HandleFunc("POST /v1/device/deny", s.authed(s.decideDevice(false)))
	mux.HandleFunc("GET /v1/me/consents", s.authed(s.listConsents))
	mux.HandleFunc("DELETE /v1/me/consents/{client_id}", s.authed(s.revokeConsent))

	// Browser-facing: the authorization endpoint, the consent page and the device page.
	if s.Pages != nil {
		mux.HandleFunc("GET /oauth2/authorize", s.oauthAuthorize)    // oauth_authorize.go
		mux.HandleFunc("GET /oauth2/consent", s.oauthConsentPage)    // oauth_consent.go
		mux.HandleFunc("POST /oauth2/consent", s.oauthConsentSubmit) // oauth_consent.go
		mux.HandleFunc("GET /device", s.devicePage)                  // oauth_device_page.go
		mux.HandleFunc("POST /device", s.deviceSubmit)               // oauth_device_page.go
	}
}
