package oauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// The machine-rate token events are aggregated, never a write per token: a client_credentials
// issuance (token.issued) and a refresh (token.refreshed) only note themselves in memory
// (auth.Batch, the machinery of the batched credential uses), one record per event type, client
// and user, and FlushTokenEvents appends one audit event per record with details {"grant_type",
// "client_id", "count": tokens in the interval, "first_at", "last_at"} and the address and user
// agent of the last one. The server runs RunTokenEventFlusher (every 10 s, and once more when it
// stops). A crash loses at most one interval of these events; the tokens themselves are not
// affected. Authorization-code and device-code issuances (interactive, rare) and every
// revocation keep one event each, written at once.

// tokenEventKey names one aggregated record.
type tokenEventKey struct {
	typ, grantType, clientID, orgID string
	userID                          string // "" for client_credentials
}

// tokenEventTally is what is known of one record's events since the last flush.
type tokenEventTally struct {
	first, last   time.Time
	ip, userAgent string // of the last event
	count         int64
}

// Merge absorbs a newer record: the earliest first, the latest last (its address and user agent;
// the newer one's when equal), the sum of the counts.
func (old tokenEventTally) Merge(u tokenEventTally) tokenEventTally {
	if old.count == 0 {
		return u
	}
	out := old
	if u.first.Before(out.first) {
		out.first = u.first
	}
	if !u.last.Before(out.last) {
		out.last, out.ip, out.userAgent = u.last, u.ip, u.userAgent
	}
	out.count += u.count
	return out
}

// noteTokenEvent records one token event of client (for userID, "" for none) for the next flush.
func (p *Provider) noteTokenEvent(typ, grantType string, client *gatehouse.OAuthClient, userID string, meta auth.Meta) {
	now := p.now()
	ua := meta.UserAgent
	if len(ua) > 512 {
		ua = strings.ToValidUTF8(ua[:512], "")
	}
	p.tokenEvents.Add(
		tokenEventKey{typ: typ, grantType: grantType, clientID: client.ID, orgID: client.OrgID, userID: userID},
		tokenEventTally{first: now, last: now, ip: meta.IP, userAgent: ua, count: 1})
}

// FlushTokenEvents appends the aggregated token events recorded since the last flush, one audit
// event per event type, client and user. Records whose event could not be written are kept for
// the next flush and the first error is returned. Concurrent flushes are safe (each takes its
// own batch).
func (p *Provider) FlushTokenEvents(ctx context.Context) error {
	batch := p.tokenEvents.Take()
	if len(batch) == 0 {
		return nil
	}
	keys := make([]tokenEventKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b tokenEventKey) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.clientID, b.clientID), cmp.Compare(a.userID, b.userID),
			cmp.Compare(a.grantType, b.grantType), cmp.Compare(a.orgID, b.orgID))
	})
	var errs []error
	for _, k := range keys {
		t := batch[k]
		actor := k.userID
		if actor == "" {
			actor = k.clientID
		}
		e := &gatehouse.AuditEvent{
			ID:        p.newID(gatehouse.PrefixEvent),
			Type:      k.typ,
			ActorID:   actor,
			SubjectID: k.clientID,
			OrgID:     k.orgID,
			IP:        t.ip,
			UserAgent: t.userAgent,
			CreatedAt: p.now(),
			Details: map[string]any{
				"grant_type": k.grantType, "client_id": k.clientID, "count": t.count,
				"first_at": t.first.UTC().Format(time.RFC3339Nano), "last_at": t.last.UTC().Format(time.RFC3339Nano),
			},
		}
		if err := p.store.AppendAuditEvent(ctx, e); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(batch, k)
	}
	if len(batch) > 0 {
		p.tokenEvents.PutBack(batch)
	}
	if len(errs) > 0 {
		return fmt.Errorf("oauth: %d aggregated token events not written: %w", len(errs), errors.Join(errs...))
	}
	return nil
}

// RunTokenEventFlusher calls FlushTokenEvents every interval until ctx ends, then once more, and
// returns (auth.RunFlusher). Start it once per server, in its own goroutine, and wait for it to
// return before closing the store.
func (p *Provider) RunTokenEventFlusher(ctx context.Context, every time.Duration) {
	auth.RunFlusher(ctx, every, p.log, "aggregated token audit events", p.FlushTokenEvents)
}
