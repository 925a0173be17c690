package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	cases := []struct {
		name    string
		files   fstest.MapFS
		want    []string
		wantErr bool
	}{
		{"ordered by version", fstest.MapFS{
			"m/0002_more.sql": {Data: []byte("B")},
			"m/0001_init.sql": {Data: []byte("A")},
		}, []string{"0001_init.sql", "0002_more.sql"}, false},
		{"bad name", fstest.MapFS{"m/1_init.sql": {}}, nil, true},
		{"uppercase", fstest.MapFS{"m/0001_Init.sql": {}}, nil, true},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": {}, "m/0001_b.sql": {}}, nil, true},
		{"none", fstest.MapFS{}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Load(c.files, "m/*.sql")
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d files, want %d", len(got), len(c.want))
			}
			for i, f := range got {
				if f.Name != c.want[i] || f.Version != i+1 {
					t.Fatalf("file %d = %+v, want %s", i, f, c.want[i])
				}
			}
		})
	}
}
