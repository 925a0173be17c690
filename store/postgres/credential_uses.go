package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
)

// RecordCredentialUses stores the latest use of each PAT and API key named, in one transaction
// of two statements (one per table, the uses passed as arrays). A batch naming one credential
// several times keeps its latest use; a use older than (or as old as) the stored one changes
// nothing; unknown IDs are ignored. A kind other than CredentialPAT and CredentialAPIKey
// rejects the whole batch (CodeInvalidRequest) before anything is written.
func (s *Store) RecordCredentialUses(ctx context.Context, uses []gatehouse.CredentialUse) error {
	latest, err := latestUses(uses)
	if err != nil || len(latest) == 0 {
		return err
	}
	type columns struct {
		ids []string
		ats []time.Time
		ips []string
	}
	byTable := map[string]*columns{"personal_access_tokens": {}, "api_keys": {}}
	for _, u := range latest {
		c := byTable["personal_access_tokens"]
		if u.Kind == gatehouse.CredentialAPIKey {
			c = byTable["api_keys"]
		}
		c.ids, c.ats, c.ips = append(c.ids, u.ID), append(c.ats, ts(u.At)), append(c.ips, u.IP)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, table := range []string{"personal_access_tokens", "api_keys"} {
			c := byTable[table]
			if len(c.ids) == 0 {
				continue
			}
			_, err := tx.Exec(ctx, `UPDATE `+table+` t SET last_used_at = u.at, last_used_ip = u.ip
				FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
				WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`, c.ids, c.ats, c.ips)
			if err != nil {
				return mapError(err, "Credential")
			}
		}
		return nil
	})
}

// latestUses checks the kinds of uses and keeps the latest use of each credential (of equal
// times, the later in the batch), in the order the credentials first appear.
func latestUses(uses []gatehouse.CredentialUse) ([]gatehouse.CredentialUse, error) {
	type key struct{ kind, id string }
	index := make(map[key]int, len(uses))
	out := make([]gatehouse.CredentialUse, 0, len(uses))
	for _, u := range uses {
		if u.Kind != gatehouse.CredentialPAT && u.Kind != gatehouse.CredentialAPIKey {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Uses of %q credentials are not recorded.", u.Kind)
		}
		k := key{u.Kind, u.ID}
		if i, ok := index[k]; ok {
			if !u.At.Before(out[i].At) {
				out[i] = u
			}
			continue
		}
		index[k] = len(out)
		out = append(out, u)
	}
	return out, nil
}
