package auth

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Last-used times of personal access tokens and API keys are batched: a successful check only
// notes the use in memory (a mutex-guarded map, one entry per credential holding its latest use
// and, for API keys, a use count), and FlushUsage writes the whole batch with one
// store.RecordCredentialUses call. RunUsageFlusher flushes every interval (the server runs it
// every 10 s) and once more when it stops, so a check never costs a database write.
//
// What a crash loses: the uses noted since the last flush, i.e. at most one interval of
// last_used_at / last_used_ip updates and api_key.used counts. Nothing security-relevant depends
// on them (revocation and expiry are read from the database on every check).
//
// api_key.used is aggregated, never a write per request: each flush appends one audit event per
// API key used during the interval, with details {"count": uses in the interval, "ip": the last
// client address}.
//
// The machinery is generic and shared: Batch (one merged record per key between flushes, taken
// whole by a flush and put back when writing it fails) and RunFlusher (the interval loop with
// its final flush) also batch the oauth package's token.issued and token.refreshed events.

// apiKeyUsedEvent is the audit event type of the aggregated API-key uses.
const apiKeyUsedEvent = "api_key.used"

// FlushTimeout bounds the final flush RunFlusher makes when its context ends.
const FlushTimeout = 5 * time.Second

// usageKey names one credential.
type usageKey struct {
	kind string // gatehouse.CredentialPAT or gatehouse.CredentialAPIKey
	id   string
}

// pendingUse is what the recorder holds for one credential until the next flush.
type pendingUse struct {
	at    time.Time // latest use
	ip    string    // address of the latest use
	orgID string    // the API key's organization, when known (for the audit event)
	count int64     // uses since the last flush
}

// usageRecorder collects credential uses between flushes. The zero value is ready to use; it is
// safe for concurrent use.
type usageRecorder struct {
	Batch[usageKey, pendingUse]
}

// Record notes one use of a credential at at from ip. The latest use wins; uses are counted.
func (r *usageRecorder) Record(kind, id, ip string, at time.Time) {
	r.Add(usageKey{kind, id}, pendingUse{at: at, ip: ip, count: 1})
}

func (r *usageRecorder) record(k usageKey, u pendingUse) { r.Add(k, u) }

// Merge combines two records of one credential (see merge).
func (old pendingUse) Merge(u pendingUse) pendingUse { return merge(old, u) }

// merge combines two records of one credential: the later use's time and address (the earlier
// record's when equal, so that arrival order decides ties), the known organization, the sum of
// the counts.
func merge(old, u pendingUse) pendingUse {
	out := old
	if old.count == 0 || !u.at.Before(old.at) {
		out.at, out.ip = u.at, u.ip
	}
	if u.orgID != "" {
		out.orgID = u.orgID
	}
	out.count += u.count
	return out
}

// take removes and returns everything recorded so far.
func (r *usageRecorder) take() map[usageKey]pendingUse { return r.Take() }

// putBack returns a batch that could not be written, merged with what arrived meanwhile.
func (r *usageRecorder) putBack(batch map[usageKey]pendingUse) { r.PutBack(batch) }

// Mergeable is what a Batch holds per key: a record that absorbs a later one (Merge is called on
// the record so far, the zero value for a new key, with the newer one).
type Mergeable[V any] interface {
	Merge(newer V) V
}

// Batch collects events in memory between flushes, one merged record per key: credential uses
// here, and the oauth package's token issuances. The zero value is ready to use; it is safe for
// concurrent use. A flush Takes the whole batch and, when writing it fails, PutBacks it to be
// merged with what arrived meanwhile.
type Batch[K comparable, V Mergeable[V]] struct {
	mu      sync.Mutex
	pending map[K]V
}

// Add merges v into the record of k.
func (b *Batch[K, V]) Add(k K, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == nil {
		b.pending = make(map[K]V)
	}
	b.pending[k] = b.pending[k].Merge(v)
}

// Take removes and returns everything recorded so far (nil when nothing was).
func (b *Batch[K, V]) Take() map[K]V {
	b.mu.Lock()
	defer b.mu.Unlock()
	batch := b.pending
	b.pending = nil
	return batch
}

// PutBack returns a batch that could not be written: each record absorbs the newer one of its
// key that arrived meanwhile.
func (b *Batch[K, V]) PutBack(batch map[K]V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == nil {
		b.pending = make(map[K]V, len(batch))
	}
	for k, v := range batch {
		if cur, ok := b.pending[k]; ok {
			v = v.Merge(cur)
		}
		b.pending[k] = v
	}
}

// RecordUse notes a successful use of a PAT or API key (kind gatehouse.CredentialPAT or
// gatehouse.CredentialAPIKey) from ip, now. It never touches the database; FlushUsage writes it.
func (s *Sessions) RecordUse(kind, id, ip string) {
	s.usage.Record(kind, id, ip, s.now())
}

// RecordAPIKeyUse notes a successful use of an API key from ip, now, remembering its organization
// so that the aggregated api_key.used event lands in the organization's audit trail. Prefer it
// to RecordUse for API keys.
func (s *Sessions) RecordAPIKeyUse(k *gatehouse.APIKey, ip string) {
	s.usage.record(usageKey{gatehouse.CredentialAPIKey, k.ID}, pendingUse{at: s.now(), ip: ip, orgID: k.OrgID, count: 1})
}

// FlushUsage writes the uses recorded since the last flush: one store.RecordCredentialUses call
// for all of them, then one api_key.used audit event per API key used. When the store call fails
// the batch is kept for the next flush and the error returned. Concurrent flushes are safe (each
// takes its own batch; the store never moves a last-used time backwards).
func (s *Sessions) FlushUsage(ctx context.Context) error {
	batch := s.usage.take()
	if len(batch) == 0 {
		return nil
	}
	keys := make([]usageKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	// A stable order keeps row locks of concurrent instances' flushes in one order.
	slices.SortFunc(keys, func(a, b usageKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.id, b.id))
	})
	uses := make([]gatehouse.CredentialUse, len(keys))
	for i, k := range keys {
		u := batch[k]
		uses[i] = gatehouse.CredentialUse{Kind: k.kind, ID: k.id, At: u.at, IP: u.ip}
	}
	if err := s.store.RecordCredentialUses(ctx, uses); err != nil {
		s.usage.putBack(batch)
		return err
	}
	actx := context.WithoutCancel(ctx)
	for _, k := range keys {
		if k.kind != gatehouse.CredentialAPIKey {
			continue
		}
		u := batch[k]
		e := &gatehouse.AuditEvent{
			ID:        s.newID(gatehouse.PrefixEvent),
			Type:      apiKeyUsedEvent,
			ActorID:   k.id,
			SubjectID: k.id,
			OrgID:     u.orgID,
			IP:        u.ip,
			CreatedAt: s.now(),
			Details:   map[string]any{"count": u.count, "ip": u.ip},
		}
		if err := s.store.AppendAuditEvent(actx, e); err != nil {
			s.log.ErrorContext(actx, "audit event not written", "type", apiKeyUsedEvent, "key_id", k.id, "err", err)
		}
	}
	return nil
}

// RunUsageFlusher calls FlushUsage every interval until ctx ends, then flushes once more (with
// a fresh deadline of a few seconds) and returns. Start it once per server, in its own
// goroutine, and wait for it to return before closing the store. Failures are logged; their
// batch is retried at the next flush.
func (s *Sessions) RunUsageFlusher(ctx context.Context, every time.Duration) {
	RunFlusher(ctx, every, s.log, "credential last-used times", s.FlushUsage)
}

// RunFlusher calls flush every interval until ctx ends, then once more (with a fresh deadline
// of a few seconds, FlushTimeout) and returns: the loop behind every batch of this kind
// (RunUsageFlusher; the oauth provider's aggregated token events). what names the batch in the
// log lines of failures; a failed flush is expected to keep its batch for the next one.
func RunFlusher(ctx context.Context, every time.Duration, log *slog.Logger, what string, flush func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
			defer cancel()
			if err := flush(fctx); err != nil {
				log.Error("final flush of "+what+" failed; they are lost", "err", err)
			}
			return
		case <-t.C:
			if err := flush(ctx); err != nil && ctx.Err() == nil {
				log.Warn("flushing "+what+" failed; retrying at the next interval", "err", err)
			}
		}
	}
}
