package sqlite

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// identityColumns is the column list of identities that identityDest reads, in order.
const identityColumns = `id, user_id, provider, subject, email, email_verified, created_at`

// identityDest holds the scan targets of the identityColumns.
type identityDest struct {
	i       gatehouse.Identity
	created int64
}

func (d *identityDest) targets() []any {
	return []any{&d.i.ID, &d.i.UserID, &d.i.Provider, &d.i.Subject, &d.i.Email, &d.i.EmailVerified, &d.created}
}

func (d *identityDest) identity() *gatehouse.Identity {
	d.i.CreatedAt = fromMillis(d.created)
	return &d.i
}

// identityBySubjectSQL reads the user's columns, then the identity's.
var identityBySubjectSQL = `SELECT ` + qualifiedColumns("u", userColumns) + `, ` +
	qualifiedColumns("i", identityColumns) + `
	FROM identities i JOIN users u ON u.id = i.user_id WHERE i.provider = ? AND i.subject = ?`

// CreateIdentity links i. It fills an empty ID and a zero CreatedAt (now) and leaves i's time as
// stored. An unknown user → not found; (provider, subject) already linked, or the user already
// linked at the provider → CodeConflict (the unique constraints decide, so concurrent links
// cannot slip through).
func (s *Store) CreateIdentity(ctx context.Context, i *gatehouse.Identity) error {
	if i.UserID == "" || i.Provider == "" || i.Subject == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An identity needs a user, a provider and a subject.")
	}
	i.CreatedAt = norm(orNow(i.CreatedAt))
	if i.ID == "" {
		i.ID = gatehouse.NewID(gatehouse.PrefixIdentity, i.CreatedAt, nil)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.UserID, i.Provider, i.Subject, i.Email, i.EmailVerified, millis(i.CreatedAt))
	return mapError(err, "User") // the one foreign key is the user
}

// IdentityBySubject returns the identity linked at provider with that subject, and its user.
func (s *Store) IdentityBySubject(ctx context.Context, provider, subject string) (*gatehouse.Identity, *gatehouse.User, error) {
	var d identityDest
	u, err := scanUser(s.r.QueryRowContext(ctx, identityBySubjectSQL, provider, subject), d.targets()...)
	if err != nil {
		return nil, nil, mapError(err, "Identity")
	}
	return d.identity(), u, nil
}

// ListIdentities returns the user's linked identities, oldest first.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]gatehouse.Identity, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE user_id = ?
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, mapError(err, "Identity")
	}
	defer rows.Close()
	out := []gatehouse.Identity{}
	for rows.Next() {
		var d identityDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "Identity")
		}
		out = append(out, *d.identity())
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Identity")
	}
	return out, nil
}

// DeleteIdentity unlinks the user's identity at provider.
func (s *Store) DeleteIdentity(ctx context.Context, userID, provider string, guard *gatehouse.SignInGuard) error {
	return s.deleteGuarded(ctx, userID, guard, "Identity", `DELETE FROM identities WHERE user_id = ? AND provider = ?`, userID, provider)
}
