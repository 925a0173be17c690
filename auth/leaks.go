package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// EventCredentialLeaked is audited for every credential of ours found in a leaked-token report.
const EventCredentialLeaked = "credential.leaked"

// LeakReporter is the actor of the audit events of leaked-token reports.
const LeakReporter = "secret-scanning"

// revokeReasonLeaked is the revocation reason of leaked credentials.
const revokeReasonLeaked = "leaked"

// maxLeakURL bounds the report's URL kept in the audit log.
const maxLeakURL = 2048

// LeakStore is what handling leaked-token reports reads and writes: the lookups of every kind
// of stored secret by hash, their revocations, and the audit trail.
type LeakStore interface {
	SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error)
	PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error)
	APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error)
	AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error)
	OAuthClientBySecretHash(ctx context.Context, hash []byte) (*gatehouse.OAuthClient, error)
	RefreshTokenByHash(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error)
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error
	RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time, reason string) error
	RotateAgentToken(ctx context.Context, id, ownerID string, hash []byte, prefix string, at time.Time) error
	RotateOAuthClientSecret(ctx context.Context, orgID, id string, hash []byte, prefix string, at time.Time) error
	RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time, reason string) error
	AppendAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error
}

// LeakReports handles verified leaked-token reports (secret scanning). It is the first of the
// per-concern services that replace the one Service: it holds only LeakStore. Safe for
// concurrent use.
type LeakReports struct {
	recorder // clock, randomness, logger, audit trail
	store    LeakStore
	brand    string
}

// NewLeakReports returns the leaked-token service for tokens of brand (Config.Brand); opts'
// Now, Random and Logger are used.
func NewLeakReports(store LeakStore, brand string, opts Options) *LeakReports {
	return &LeakReports{recorder: newRecorder(opts, store), store: store, brand: brand}
}

// LeakReport is one match of a secret scanner (GitHub's partner payload: token, type, url,
// source).
type LeakReport struct {
	Token  string
	Type   string
	URL    string
	Source string
}

// LeakVerdict says whether a reported token was one Gatehouse issued (a true positive: it is
// revoked now, if it was not already) or not (a false positive).
type LeakVerdict struct {
	Report       LeakReport
	TruePositive bool
}

// leakedCredential is a stored credential found for a reported token.
type leakedCredential struct {
	kind    string // a gatehouse.Credential* kind, or "agent_token"
	id      string
	ownerID string         // the user who owns it (for API keys: the user who created it)
	orgID   string         // for API keys and client secrets
	extra   map[string]any // more details of the audit event (a refresh token's client_id)
	revoke  func(ctx context.Context) error
	active  bool // usable until this report
}

// Report handles a verified leaked-token report: every token of ours in it (sessions, PATs,
// API keys, agent tokens, OAuth client secrets — rotated out — and refresh tokens — their
// family revoked) is revoked at once, an audit event credential.leaked is written and
// the owner is told (today: that event and a log line; never the token). Tokens that are
// malformed, of another brand, of kinds Gatehouse does not store, or unknown are false
// positives. The verdicts are in the order of the reports.
func (s *LeakReports) Report(ctx context.Context, reports []LeakReport, meta Meta) ([]LeakVerdict, error) {
	out := make([]LeakVerdict, len(reports))
	for i, r := range reports {
		out[i].Report = r
		c, err := s.findLeaked(ctx, r.Token)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		out[i].TruePositive = true
		if err := s.revokeLeaked(ctx, c, r, meta); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findLeaked looks a reported token up by its hash among the stored credentials of its kind; nil
// when it is not one of ours. The checksum is checked first, so foreign strings cost no query.
func (s *LeakReports) findLeaked(ctx context.Context, raw string) (*leakedCredential, error) {
	t, err := token.Parse(raw)
	if err != nil || t.Brand != s.brand {
		return nil, nil
	}
	hash := token.Hash(raw)
	now := s.now()
	var c *leakedCredential
	switch t.Kind {
	case token.KindSession:
		sess, _, e := s.store.SessionByTokenHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: gatehouse.CredentialSession, id: sess.ID, ownerID: sess.UserID,
				active: sess.RevokedAt == nil && now.Before(sess.ExpiresAt)}
			c.revoke = func(ctx context.Context) error {
				return s.store.RevokeSession(ctx, sess.UserID, sess.ID, s.now(), revokeReasonLeaked)
			}
		}
	case token.KindPAT:
		pat, _, e := s.store.PATByTokenHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: gatehouse.CredentialPAT, id: pat.ID, ownerID: pat.UserID,
				active: gatehouse.Active(pat.RevokedAt, pat.ExpiresAt, now)}
			c.revoke = func(ctx context.Context) error {
				return s.store.RevokePAT(ctx, pat.UserID, pat.ID, s.now(), revokeReasonLeaked)
			}
		}
	case token.KindAPIKeyLive, token.KindAPIKeyTest:
		key, e := s.store.APIKeyByTokenHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: gatehouse.CredentialAPIKey, id: key.ID, ownerID: key.CreatedBy, orgID: key.OrgID,
				active: gatehouse.Active(key.RevokedAt, key.ExpiresAt, now)}
			c.revoke = func(ctx context.Context) error {
				return s.store.RevokeAPIKey(ctx, key.OrgID, key.ID, s.now(), revokeReasonLeaked)
			}
		}
	case token.KindAgent:
		a, _, e := s.store.AgentByTokenHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: "agent_token", id: a.ID, ownerID: a.OwnerID, active: true}
			c.revoke = func(ctx context.Context) error { return s.replaceAgentToken(ctx, a.ID) }
		}
	case token.KindClientSecret:
		cl, e := s.store.OAuthClientBySecretHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: "client_secret", id: cl.ID, ownerID: cl.CreatedBy, orgID: cl.OrgID, active: true}
			c.revoke = func(ctx context.Context) error { return s.replaceClientSecret(ctx, cl) }
		}
	case token.KindRefresh:
		rt, e := s.store.RefreshTokenByHash(ctx, hash)
		if err = e; e == nil {
			c = &leakedCredential{kind: "refresh_token", id: rt.FamilyID, ownerID: rt.UserID,
				extra: map[string]any{"client_id": rt.ClientID}, active: rt.FamilyRevokedAt == nil}
			c.revoke = func(ctx context.Context) error {
				return s.store.RevokeRefreshFamily(ctx, rt.FamilyID, s.now(), revokeReasonLeaked)
			}
		}
	default: // kinds Gatehouse does not keep (ID tokens are JWTs, never reported by prefix)
		return nil, nil
	}
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up reported token: %w", err)
	}
	return c, nil
}

// replaceAgentToken makes an agent's token unusable: its hash becomes that of 32 random bytes no
// one holds, and its sessions end. The owner rotates to get a working token again.
func (s *LeakReports) replaceAgentToken(ctx context.Context, agentID string) error {
	hash, err := s.unknownHash()
	if err != nil {
		return err
	}
	return s.store.RotateAgentToken(ctx, agentID, "", hash, "", s.now()) // any owner: a leak is revoked whoever owns it
}

// replaceClientSecret rotates a leaked client secret out: the stored hash becomes that of 32
// random bytes no one holds, so the secret stops working at once; the display prefix stays, so
// the organization sees which secret leaked. An owner or admin rotates to get a working one.
func (s *LeakReports) replaceClientSecret(ctx context.Context, c *gatehouse.OAuthClient) error {
	hash, err := s.unknownHash()
	if err != nil {
		return err
	}
	return s.store.RotateOAuthClientSecret(ctx, c.OrgID, c.ID, hash, c.SecretPrefix, s.now())
}

// unknownHash is the SHA-256 of 32 random bytes: a stored hash that no token matches.
func (s base) unknownHash() ([]byte, error) {
	r := s.random
	if r == nil {
		r = rand.Reader
	}
	var secret [32]byte
	if _, err := io.ReadFull(r, secret[:]); err != nil {
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	hash := sha256.Sum256(secret[:])
	return hash[:], nil
}

// revokeLeaked revokes c (when still active), audits the leak and logs it for the owner. A
// credential revoked meanwhile by someone else is fine: the outcome is the same.
func (s *LeakReports) revokeLeaked(ctx context.Context, c *leakedCredential, r LeakReport, meta Meta) error {
	// The report is acted on even if GitHub hangs up: a leaked credential must not survive.
	ctx = context.WithoutCancel(ctx)
	revoked := false
	if c.active {
		err := c.revoke(ctx)
		if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
			return fmt.Errorf("revoke leaked %s: %w", c.kind, err)
		}
		revoked = err == nil
	}
	// The event's subject is the person whose credential leaked, so that it shows in their own
	// audit trail (/v1/me/audit-events); an organization's key stays the subject of an org event.
	subject := c.id
	if c.orgID == "" && c.ownerID != "" {
		subject = c.ownerID
	}
	details := map[string]any{
		"kind":          c.kind,
		"credential_id": c.id,
		"owner_id":      c.ownerID,
		"url":           truncate(r.URL, maxLeakURL),
		"source":        truncate(r.Source, 64),
		"type":          truncate(r.Type, 128),
		"revoked":       revoked,
	}
	for k, v := range c.extra {
		details[k] = v
	}
	e := &gatehouse.AuditEvent{
		ID:        s.newID(gatehouse.PrefixEvent),
		Type:      EventCredentialLeaked,
		ActorID:   LeakReporter,
		SubjectID: subject,
		OrgID:     c.orgID,
		IP:        meta.IP,
		UserAgent: truncate(meta.UserAgent, 512),
		CreatedAt: s.now(),
		Details:   details,
	}
	if err := s.store.AppendAuditEvent(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit event not written", "type", EventCredentialLeaked, "err", err)
	}
	// Until mail exists, this line is how the owner (through the operator) learns of the leak.
	s.log.WarnContext(ctx, "leaked credential reported by secret scanning",
		"kind", c.kind, "credential_id", c.id, "owner_id", c.ownerID, "org_id", c.orgID,
		"revoked_now", revoked, "url", truncate(r.URL, maxLeakURL), "source", truncate(r.Source, 64))
	return nil
}
