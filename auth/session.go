package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

var (
	errInvalidToken = &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "The access token is invalid."}
	errExpiredToken = &gatehouse.Error{Code: gatehouse.CodeExpiredToken, Message: "The access token has expired."}
)

// Authenticate verifies any bearer credential Gatehouse issues (a session, an agent session, a
// personal access token, an organization's API key — its allowed CIDRs checked against meta.IP
// — or an OAuth access token, client_credentials ones included) and returns its principal. It
// decides nothing about what the credential may do: the caller asks authz (Grant, Authorize)
// for the permission its endpoint declares.
func (s *Sessions) Authenticate(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	if looksLikeJWT(bearer) {
		return s.authenticateAccessToken(ctx, bearer, true)
	}
	t, err := token.Parse(bearer)
	if err != nil || t.Brand != s.cfg.Brand {
		if apiKeyEnvironment(bearer) != "" {
			return nil, errInvalidAPIKey
		}
		return nil, errInvalidToken
	}
	switch t.Kind {
	case token.KindSession:
		return s.authenticateSession(ctx, bearer, meta)
	case token.KindPAT:
		return s.authenticatePAT(ctx, bearer, meta)
	case token.KindAPIKeyLive, token.KindAPIKeyTest:
		var ip netip.Addr
		if a, err := netip.ParseAddr(meta.IP); err == nil {
			ip = a.Unmap()
		}
		return s.authenticateAPIKey(ctx, bearer, ip, meta)
	}
	return nil, errInvalidToken
}

// authenticateSession checks a session token: one indexed lookup (session joined with its user),
// then revocation, absolute expiry and idle timeout. An agent's session carries its agent.
func (s *Sessions) authenticateSession(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	sess, u, err := s.store.SessionByTokenHash(ctx, token.Hash(bearer))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case sess.RevokedAt != nil || u.Disabled():
		return nil, errInvalidToken
	case !sess.Active(now, s.cfg.IdleTimeout):
		return nil, errExpiredToken
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, sess.ID, now, meta.IP); err != nil {
			s.log.WarnContext(ctx, "session last-seen not recorded", "session_id", sess.ID, "err", err)
		}
	}
	p := &gatehouse.Principal{User: u, Session: sess, Credential: gatehouse.CredentialSession}
	if u.Kind == gatehouse.KindAgent {
		a, err := s.store.AgentByUserID(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		if a.VerifiedAt == nil { // transferred since: its sessions were revoked, but be sure
			return nil, errInvalidToken
		}
		p.Agent, p.Credential = a, gatehouse.CredentialAgentSession
	}
	return p, nil
}

// Logout revokes the caller's session and every refresh family of the person (the CLI's and
// applications' sign-ins: issue 4 makes logout end them). Called with an OAuth access token (the
// CLI's `gatehouse logout`), it revokes the user's refresh families of that client and puts the
// access token on the denylist instead.
func (s *Sessions) Logout(ctx context.Context, p *gatehouse.Principal, meta Meta) error {
	if p.Access != nil && p.User != nil {
		return s.logoutAccessToken(ctx, p, meta)
	}
	if p.Session == nil {
		return nil
	}
	err := s.store.RevokeSession(ctx, p.User.ID, p.Session.ID, s.now(), "logout")
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return err
	}
	// Issue 4: logging out ends the person's OAuth grants too (the CLI's and every
	// application's refresh tokens); an agent's session has none.
	if p.User.Kind == gatehouse.KindUser {
		if err := s.revokeRefreshFamilies(ctx, p.User.ID, "logout"); err != nil {
			return err
		}
	}
	s.audit(ctx, gatehouse.EventLogout, p.User.ID, p.Session.ID, meta, nil)
	return nil
}

// ListSessions returns the caller's active sessions, newest first.
func (s *Sessions) ListSessions(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.Session, error) {
	return s.store.ListSessions(ctx, p.User.ID, s.now())
}

// RevokeSession revokes one of the caller's sessions (the current one included).
func (s *Sessions) RevokeSession(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) error {
	if err := s.store.RevokeSession(ctx, p.User.ID, id, s.now(), "revoked_by_user"); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventSessionRevoked, p.User.ID, id, meta, nil)
	return nil
}

// revokeReasonSuperseded is the revocation reason of a session replaced by a new sign-in in the
// same browser.
const revokeReasonSuperseded = "superseded"

// EndSupersededSession revokes the session whose token a browser still held when it signed in
// again (a second sign-in, prompt=login or max_age, another account): the browser's cookie is
// being replaced, so that session would otherwise stay valid, unused, until it expires.
// Anything but a live session token of this deployment is ignored.
func (s *Sessions) EndSupersededSession(ctx context.Context, sessionToken string, meta Meta) error {
	t, err := token.Parse(sessionToken)
	if err != nil || t.Brand != s.cfg.Brand || t.Kind != token.KindSession {
		return nil
	}
	sess, _, err := s.store.SessionByTokenHash(ctx, token.Hash(sessionToken))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.RevokedAt != nil {
		return nil
	}
	err = s.store.RevokeSession(ctx, sess.UserID, sess.ID, s.now(), revokeReasonSuperseded)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil // revoked meanwhile
	}
	if err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventSessionRevoked, sess.UserID, sess.ID, meta, map[string]any{"reason": revokeReasonSuperseded})
	return nil
}

// logoutAccessToken ends an OAuth sign-in: the client's refresh families of the user and the
// presented access token.
func (s *Sessions) logoutAccessToken(ctx context.Context, p *gatehouse.Principal, meta Meta) error {
	now := s.now()
	n, err := s.store.RevokeUserRefreshFamilies(ctx, p.User.ID, p.Access.ClientID, now, "logout")
	if err != nil {
		return err
	}
	if err := s.store.DenyAccessToken(ctx, p.Access.JTI, p.Access.ExpiresAt); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventLogout, p.User.ID, p.Access.ClientID, meta, map[string]any{
		"kind": gatehouse.CredentialAccessToken, "client_id": p.Access.ClientID, "refresh_families": n,
	})
	return nil
}

// revokeRefreshFamilies revokes every refresh family of the user (password change or reset,
// operator repairs; account deletion needs none: the store deletes the user's families with it). A failure is returned: the caller's action must not look
// complete while a thief's refresh token still works.
func (s *Sessions) revokeRefreshFamilies(ctx context.Context, userID, reason string) error {
	if _, err := s.store.RevokeUserRefreshFamilies(ctx, userID, "", s.now(), reason); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
