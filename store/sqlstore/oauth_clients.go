package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// oauthClientColumns is the column list oauthClientDest reads, in order.
const oauthClientColumns = `id, org_id, name, public, secret_hash, secret_prefix, redirect_uris,
	grant_types, scopes, created_by, created_at, updated_at`

// errPublicClient is RotateOAuthClientSecret's answer for a public client.
var errPublicClient = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A public client has no secret to rotate.")

// scanOAuthClient reads the oauthClientColumns of one row.
func scanOAuthClient(row rowScanner) (gatehouse.OAuthClient, error) {
	var c gatehouse.OAuthClient
	err := row.Scan(&c.ID, &c.OrgID, &c.Name, &c.Public, &c.SecretHash, &c.SecretPrefix,
		listCol{&c.RedirectURIs}, listCol{&c.GrantTypes}, listCol{&c.Scopes}, &c.CreatedBy,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if len(c.SecretHash) == 0 {
		c.SecretHash = nil
	}
	return c, err
}

// oauthClient returns the one client query selects.
func (s *Store) oauthClient(ctx context.Context, query string, arg any) (*gatehouse.OAuthClient, error) {
	c, err := scanOAuthClient(s.read().row(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE `+query, arg))
	if err != nil {
		return nil, s.d.mapError(err, "OAuth client")
	}
	return &c, nil
}

// CreateOAuthClient inserts c (filled as record.FillOAuthClient says). No OrgID, a public client with
// a secret hash or a confidential one without (or with one over 64 bytes) is
// CodeInvalidRequest; an unknown org not found; an ID in use, or BuiltInCLIClientID,
// CodeConflict.
func (s *Store) CreateOAuthClient(ctx context.Context, c *gatehouse.OAuthClient) error {
	if err := record.FillOAuthClient(c); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO oauth_clients (`+oauthClientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.OrgID, c.Name, c.Public, c.SecretHash, c.SecretPrefix, c.RedirectURIs,
		c.GrantTypes, c.Scopes, c.CreatedBy, c.CreatedAt, c.UpdatedAt)
	return s.d.mapError(err, "Organization") // the one foreign key is the org
}

// OAuthClientByID returns the stored client with that client_id, of any organization. The
// built-in CLI client is not stored: its ID is not found.
func (s *Store) OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	return s.oauthClient(ctx, `id = $1`, id)
}

// OAuthClientBySecretHash returns the confidential client whose secret hash is hash (a scan
// of the organizations' clients: only leaked-secret reports ask).
func (s *Store) OAuthClientBySecretHash(ctx context.Context, hash []byte) (*gatehouse.OAuthClient, error) {
	if len(hash) == 0 {
		return nil, gatehouse.ErrNotFound
	}
	return s.oauthClient(ctx, `public = false AND secret_hash = $1`, hash)
}

// ListOAuthClients returns the organization's clients, oldest first (ties by ID).
func (s *Store) ListOAuthClients(ctx context.Context, orgID string) ([]gatehouse.OAuthClient, error) {
	rows, err := s.read().query(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients
		WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	return collect(s.d, rows, err, "OAuth client", scanOAuthClient)
}

// DeleteOAuthClient deletes one of the organization's clients and, in the same transaction,
// everything granted to it: refresh families (their tokens by cascade), unredeemed codes, device
// flows and consents.
func (s *Store) DeleteOAuthClient(ctx context.Context, orgID, id string) error {
	return s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `DELETE FROM oauth_clients WHERE id = $1 AND org_id = $2`, id, orgID)
		if err := tx.affectedOne(res, err, "OAuth client"); err != nil {
			return err
		}
		for _, table := range clientGrantTables {
			if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE client_id = $1`, id); err != nil {
				return tx.d.mapError(err, "OAuth grant")
			}
		}
		return nil
	})
}

// clientGrantTables hold what a client was granted; DeleteOAuthClient empties them of it.
var clientGrantTables = []string{"oauth_refresh_families", "oauth_authorization_codes", "oauth_device_authorizations", "oauth_consents"}

// RotateOAuthClientSecret replaces a confidential client's secret hash and prefix and sets its
// UpdatedAt to at, in one transaction. Not the org's → not found; a public client, or a hash of
// no or more than 64 bytes → CodeInvalidRequest.
func (s *Store) RotateOAuthClientSecret(ctx context.Context, orgID, id string, hash []byte, prefix string, at time.Time) error {
	if err := record.CheckClientSecretHash(hash); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		var public bool
		err := tx.row(ctx, `SELECT public FROM oauth_clients WHERE id = $1 AND org_id = $2`+tx.d.lock("FOR UPDATE"),
			id, orgID).Scan(&public)
		if err != nil {
			return tx.d.mapError(err, "OAuth client")
		}
		if public {
			return errPublicClient
		}
		_, err = tx.exec(ctx, `UPDATE oauth_clients SET secret_hash = $1, secret_prefix = $2,
			updated_at = $3 WHERE id = $4`, hash, prefix, at, id)
		return tx.d.mapError(err, "OAuth client")
	})
}
