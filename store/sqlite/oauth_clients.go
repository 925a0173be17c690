package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// oauthClientColumns is the column list oauthClientDest reads, in order.
const oauthClientColumns = `id, org_id, name, public, secret_hash, secret_prefix, redirect_uris,
	grant_types, scopes, created_by, created_at, updated_at`

// errPublicClient is RotateOAuthClientSecret's answer for a public client.
var errPublicClient = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A public client has no secret to rotate.")

// oauthClientDest holds the scan targets of the oauthClientColumns.
type oauthClientDest struct {
	c                         gatehouse.OAuthClient
	redirects, grants, scopes string
	created, updated          int64
}

func (d *oauthClientDest) targets() []any {
	return []any{&d.c.ID, &d.c.OrgID, &d.c.Name, &d.c.Public, &d.c.SecretHash, &d.c.SecretPrefix,
		&d.redirects, &d.grants, &d.scopes, &d.c.CreatedBy, &d.created, &d.updated}
}

func (d *oauthClientDest) client() (*gatehouse.OAuthClient, error) {
	var err error
	if d.c.RedirectURIs, err = decodeList(d.redirects); err != nil {
		return nil, err
	}
	if d.c.GrantTypes, err = decodeList(d.grants); err != nil {
		return nil, err
	}
	if d.c.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	if len(d.c.SecretHash) == 0 {
		d.c.SecretHash = nil
	}
	d.c.CreatedAt, d.c.UpdatedAt = fromMillis(d.created), fromMillis(d.updated)
	return &d.c, nil
}

// CreateOAuthClient inserts c (filled as record.FillOAuthClient says). No OrgID, a public client with
// a secret hash or a confidential one without (or with one over 64 bytes) is
// CodeInvalidRequest; an unknown org not found; an ID in use, or BuiltInCLIClientID,
// CodeConflict.
func (s *Store) CreateOAuthClient(ctx context.Context, c *gatehouse.OAuthClient) error {
	if err := record.FillOAuthClient(c); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO oauth_clients (`+oauthClientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrgID, c.Name, c.Public, c.SecretHash, c.SecretPrefix, encodeList(c.RedirectURIs),
		encodeList(c.GrantTypes), encodeList(c.Scopes), c.CreatedBy, millis(c.CreatedAt), millis(c.UpdatedAt))
	return mapError(err, "Organization") // the one foreign key is the org
}

// OAuthClientByID returns the stored client with that client_id, of any organization. The
// built-in CLI client is not stored: its ID is not found.
func (s *Store) OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	var d oauthClientDest
	err := s.r.QueryRowContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE id = ?`, id).
		Scan(d.targets()...)
	if err != nil {
		return nil, mapError(err, "OAuth client")
	}
	return d.client()
}

// OAuthClientBySecretHash returns the confidential client whose secret hash is hash (a scan
// of the organizations' clients: only leaked-secret reports ask).
func (s *Store) OAuthClientBySecretHash(ctx context.Context, hash []byte) (*gatehouse.OAuthClient, error) {
	if len(hash) == 0 {
		return nil, gatehouse.ErrNotFound
	}
	var d oauthClientDest
	err := s.r.QueryRowContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE public = false AND secret_hash = ?`, hash).
		Scan(d.targets()...)
	if err != nil {
		return nil, mapError(err, "OAuth client")
	}
	return d.client()
}

// ListOAuthClients returns the organization's clients, oldest first (ties by ID).
func (s *Store) ListOAuthClients(ctx context.Context, orgID string) ([]gatehouse.OAuthClient, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients
		WHERE org_id = ? ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, mapError(err, "OAuth client")
	}
	defer rows.Close()
	out := []gatehouse.OAuthClient{}
	for rows.Next() {
		var d oauthClientDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "OAuth client")
		}
		c, err := d.client()
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "OAuth client")
	}
	return out, nil
}

// DeleteOAuthClient deletes one of the organization's clients and, in the same transaction,
// everything granted to it: refresh families (their tokens by cascade), unredeemed codes, device
// flows and consents.
func (s *Store) DeleteOAuthClient(ctx context.Context, orgID, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_clients WHERE id = ? AND org_id = ?`, id, orgID)
		if err := affectedOne(res, err, "OAuth client"); err != nil {
			return err
		}
		for _, table := range clientGrantTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE client_id = ?`, id); err != nil {
				return mapError(err, "OAuth grant")
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var public bool
		err := tx.QueryRowContext(ctx, `SELECT public FROM oauth_clients WHERE id = ? AND org_id = ?`,
			id, orgID).Scan(&public)
		if err != nil {
			return mapError(err, "OAuth client")
		}
		if public {
			return errPublicClient
		}
		_, err = tx.ExecContext(ctx, `UPDATE oauth_clients SET secret_hash = ?, secret_prefix = ?,
			updated_at = ? WHERE id = ?`, hash, prefix, millis(at), id)
		return mapError(err, "OAuth client")
	})
}
