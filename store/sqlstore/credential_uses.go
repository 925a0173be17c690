package sqlstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
)

// RecordCredentialUses stores the latest use of each PAT and API key named, in one transaction.
// A batch naming one credential several times keeps its latest use; a use older than (or as old
// as) the stored one changes nothing; unknown IDs are ignored. A kind other than CredentialPAT
// and CredentialAPIKey rejects the whole batch (CodeInvalidRequest) before anything is written.
func (s *Store) RecordCredentialUses(ctx context.Context, uses []gatehouse.CredentialUse) error {
	latest, err := latestUses(uses)
	if err != nil || len(latest) == 0 {
		return err
	}
	// One order for every batch: concurrent batches on PostgreSQL lock their rows in it, never
	// in opposite orders (no deadlock).
	slices.SortFunc(latest, func(a, b gatehouse.CredentialUse) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return s.inTx(ctx, func(tx conn) error {
		for _, u := range latest {
			table := "personal_access_tokens"
			if u.Kind == gatehouse.CredentialAPIKey {
				table = "api_keys"
			}
			_, err := tx.exec(ctx, `UPDATE `+table+` SET last_used_at = $1, last_used_ip = $2
				WHERE id = $3 AND (last_used_at IS NULL OR last_used_at < $1)`, u.At, u.IP, u.ID)
			if err != nil {
				return tx.d.mapError(err, "Credential")
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
