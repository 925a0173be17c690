package sqlstore

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// identityColumns is the column list of identities that identityDest reads, in order.
const identityColumns = `id, user_id, provider, subject, email, email_verified, created_at`

func identityTargets(i *gatehouse.Identity) []any {
	return []any{&i.ID, &i.UserID, &i.Provider, &i.Subject, &i.Email, &i.EmailVerified, timeCol{&i.CreatedAt}}
}

// identityBySubjectSQL reads the user's columns, then the identity's.
var identityBySubjectSQL = `SELECT ` + qualifiedColumns("u", userColumns) + `, ` +
	qualifiedColumns("i", identityColumns) + `
	FROM identities i JOIN users u ON u.id = i.user_id WHERE i.provider = $1 AND i.subject = $2`

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
	_, err := s.exec(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		i.ID, i.UserID, i.Provider, i.Subject, i.Email, i.EmailVerified, i.CreatedAt)
	return s.d.mapError(err, "User") // the one foreign key is the user
}

// IdentityBySubject returns the identity linked at provider with that subject, and its user.
func (s *Store) IdentityBySubject(ctx context.Context, provider, subject string) (*gatehouse.Identity, *gatehouse.User, error) {
	var i gatehouse.Identity
	u, err := scanUser(s.read().row(ctx, identityBySubjectSQL, provider, subject), identityTargets(&i)...)
	if err != nil {
		return nil, nil, s.d.mapError(err, "Identity")
	}
	return &i, u, nil
}

// ListIdentities returns the user's linked identities, oldest first.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]gatehouse.Identity, error) {
	rows, err := s.read().query(ctx, `SELECT `+identityColumns+` FROM identities WHERE user_id = $1
		ORDER BY created_at, id`, userID)
	return collect(s.d, rows, err, "Identity", func(r rowScanner) (gatehouse.Identity, error) {
		var i gatehouse.Identity
		return i, r.Scan(identityTargets(&i)...)
	})
}

// DeleteIdentity unlinks the user's identity at provider.
func (s *Store) DeleteIdentity(ctx context.Context, userID, provider string, guard *gatehouse.SignInGuard) error {
	return s.deleteGuarded(ctx, userID, guard, "Identity", `DELETE FROM identities WHERE user_id = $1 AND provider = $2`, userID, provider)
}
