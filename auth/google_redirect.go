package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"golang.org/x/oauth2"
)

// The redirect flow of Google sign-in (GET /v1/auth/google/start and /callback).

// oidcFlow is the state of a redirect flow kept in its Challenge.
type oidcFlow struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE code verifier
	Next     string `json:"next"`
}

// Start begins the redirect flow: it stores the flow's state, nonce and PKCE verifier (10
// minutes, single use) and returns the issuer's authorization URL and the state, which the caller
// also binds to the browser (a cookie) so that a callback from another browser is refused.
// current, when signed in, is the account the identity will be linked to. next is a local path.
func (s *Google) Start(ctx context.Context, next string, current *gatehouse.Principal) (authURL, state string, err error) {
	p, err := s.googleProvider(ctx)
	if err != nil {
		return "", "", err
	}
	flow := oidcFlow{
		Nonce:    base64.RawURLEncoding.EncodeToString(s.randomBytes(24)),
		Verifier: oauth2.GenerateVerifier(),
		Next:     next,
	}
	data, err := json.Marshal(flow)
	if err != nil {
		return "", "", err
	}
	state = gatehouse.PrefixChallenge + "_" + base64.RawURLEncoding.EncodeToString(s.randomBytes(32))
	now := s.now()
	ch := &gatehouse.Challenge{ID: state, Purpose: ChallengeOIDCLogin, Data: data, CreatedAt: now, ExpiresAt: now.Add(oidcFlowTTL)}
	if current != nil && current.User != nil && current.User.Kind == gatehouse.KindUser && current.APIKey == nil {
		if err := s.Authorize(current, authz.Sensitive); err != nil { // the flow links Google
			return "", "", err
		}
		ch.UserID = current.User.ID
	}
	if err := s.store.SaveChallenge(ctx, ch); err != nil {
		return "", "", err
	}
	u := s.oauth2Config(p).AuthCodeURL(state, oauth2.S256ChallengeOption(flow.Verifier), oidc.Nonce(flow.Nonce))
	return u, state, nil
}

// Callback finishes the redirect flow: it takes the flow (single use), exchanges the code
// with the PKCE verifier and client secret, verifies the ID token with the flow's nonce and signs
// in, links or signs up. It returns the grant and the local path to continue to.
func (s *Google) Callback(ctx context.Context, state, code string, meta Meta) (*SessionGrant, string, error) {
	p, err := s.googleProvider(ctx)
	if err != nil {
		return nil, "", err
	}
	if state == "" || code == "" {
		return nil, "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The sign-in with Google was not completed. Try again.")
	}
	ch, err := s.store.TakeChallenge(ctx, state, ChallengeOIDCLogin, s.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "This sign-in with Google has expired or was already used. Try again.")
	}
	if err != nil {
		return nil, "", err
	}
	var flow oidcFlow
	if err := json.Unmarshal(ch.Data, &flow); err != nil {
		return nil, "", fmt.Errorf("oidc flow state: %w", err)
	}
	tok, err := s.oauth2Config(p).Exchange(ctx, code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		s.log.InfoContext(ctx, "authorization code exchange failed", "err", err)
		return nil, "", gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "Google did not confirm the sign-in. Try again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" || flow.Nonce == "" {
		return nil, "", errBadIDToken
	}
	c, err := s.verifyIDToken(ctx, raw, flow.Nonce)
	if err != nil {
		return nil, "", err
	}
	var linkTo *gatehouse.User
	if ch.UserID != "" {
		if linkTo, err = s.store.UserByID(ctx, ch.UserID); err != nil {
			return nil, "", err
		}
	}
	g, err := s.googleComplete(ctx, c, linkTo, meta)
	if err != nil {
		return nil, "", err
	}
	return g, flow.Next, nil
}

func (s *Google) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.cfg.Google.ClientID,
		ClientSecret: s.cfg.Google.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  s.cfg.PublicURL + "/v1/auth/google/callback",
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

func (s *Google) randomHex(n int) string {
	return fmt.Sprintf("%x", s.randomBytes(n))
}

func (s *Google) randomBytes(n int) []byte {
	b := make([]byte, n)
	r := s.random
	if r == nil {
		r = rand.Reader
	}
	if _, err := r.Read(b); err != nil {
		panic("auth: random source failed: " + err.Error())
	}
	return b
}
