package sqlstore

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5/pgtype"
)

// Column scanners (sql.Scanner) for the columns whose stored form differs between the two
// databases. Each accepts both forms, so reading needs no dialect: a time is INTEGER Unix
// milliseconds (SQLite) or a timestamptz (PostgreSQL); a list is JSON text (SQLite) or text[]
// in PostgreSQL's text form.

// timeCol scans a NOT NULL time column into *t, in UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sqlstore: NULL in a NOT NULL time column")
	}
	*c.t = t
	return nil
}

// nullTimeCol scans a nullable time column into *t (nil for NULL).
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	*c.t = nil
	if ok {
		*c.t = &t
	}
	return nil
}

// zeroTimeCol scans a nullable time column into *t (the zero time for NULL).
type zeroTimeCol struct{ t *time.Time }

func (c zeroTimeCol) Scan(src any) error {
	t, _, err := scanTime(src)
	*c.t = t
	return err
}

func scanTime(src any) (t time.Time, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMilli(v).UTC(), true, nil
	case time.Time:
		return v.UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("sqlstore: cannot scan %T into a time", src)
}

// listCol scans a list column into *l (empty, never nil, for none).
type listCol struct{ l *[]string }

func (c listCol) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case nil:
		*c.l = []string{}
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a list", src)
	}
	var out []string
	var err error
	if len(text) > 0 && text[0] == '{' {
		out, err = decodeTextArray(text)
	} else if len(text) > 0 {
		err = json.Unmarshal(text, &out)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: stored list %.40q: %w", text, err)
	}
	if out == nil {
		out = []string{}
	}
	*c.l = out
	return nil
}

// textArrayMaps decodes PostgreSQL's text form of text[] (a pgtype.Map is not safe for
// concurrent use: one per decoding goroutine).
var textArrayMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

func decodeTextArray(text []byte) ([]string, error) {
	m := textArrayMaps.Get().(*pgtype.Map)
	defer textArrayMaps.Put(m)
	var out []string
	err := m.Scan(pgtype.TextArrayOID, pgtype.TextFormatCode, text, &out)
	return out, err
}

// prefixCol scans a list column of CIDRs into *p.
type prefixCol struct{ p *[]netip.Prefix }

func (c prefixCol) Scan(src any) error {
	var list []string
	if err := (listCol{&list}).Scan(src); err != nil {
		return err
	}
	out := make([]netip.Prefix, len(list))
	for i, v := range list {
		var err error
		if out[i], err = netip.ParsePrefix(v); err != nil {
			return fmt.Errorf("sqlstore: stored CIDR: %w", err)
		}
	}
	*c.p = out
	return nil
}

// amrCol scans the space-separated amr column into *a.
type amrCol struct{ a *[]string }

func (c amrCol) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*c.a = gatehouse.ParseAMR(v)
	case []byte:
		*c.a = gatehouse.ParseAMR(string(v))
	case nil:
		*c.a = nil
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into amr", src)
	}
	return nil
}

// durationCol scans a column of milliseconds into *d.
type durationCol struct{ d *time.Duration }

func (c durationCol) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("sqlstore: cannot scan %T into a duration", src)
	}
	*c.d = time.Duration(v) * time.Millisecond
	return nil
}
