package sqlstore

import (
	"context"
)

// ChangeFeed tells whether rows a credential check reads may have changed, committed by anyone
// (this process, another process on the SQLite file, another instance on the PostgreSQL
// database): its generation moves on every such change. ok false or an error means it cannot
// vouch for the generation now. It is the invalidation signal of store/credcache, which also
// reads the store's own Writes.
type ChangeFeed interface {
	Generation(ctx context.Context) (gen uint64, ok bool, err error)
	Close() error
}

// ChangeFeed opens the store's change feed: on SQLite the WAL-index header of the file
// (sqlite_changefeed.go), on PostgreSQL a listener of CredentialsChannel (postgres_changefeed.go).
// The caller closes it, before the store.
func (s *Store) ChangeFeed(ctx context.Context) (ChangeFeed, error) {
	if s.sqlite != nil {
		return s.sqliteFeed(true)
	}
	return s.postgresFeed(ctx, feedMinBackoff)
}

var (
	_ ChangeFeed = (*sqliteFeed)(nil)
	_ ChangeFeed = (*postgresFeed)(nil)
)
