// Package migration reads a store's embedded, numbered SQL migrations. Each store applies them
// in its own dialect and records them in its own schema_migrations table; only the file set's
// rules live here, so both stores follow the same ones.
//
// The rules: files are named NNNN_name.sql (four digits, then lowercase letters, digits and
// '_'); versions are unique; they are applied in version order.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// File is one numbered migration.
type File struct {
	Version int
	Name    string // file name, e.g. 0001_init.sql
	SQL     string
}

var fileName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Load returns the migrations matching pattern in fsys (e.g. "migrations/*.sql") in version
// order, or an error naming the file that breaks a rule.
func Load(fsys fs.FS, pattern string) ([]File, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []File
	seen := map[int]string{}
	for _, p := range names {
		name := path.Base(p)
		m := fileName.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", name)
		}
		v, _ := strconv.Atoi(m[1])
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
