package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCredentialStore(t *testing.T) {
	a := storedCredential{Server: "https://a.example.com/", AccessToken: "at-a", RefreshToken: "rt-a", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), TokenType: "Bearer"}
	b := storedCredential{Server: "http://localhost:8080", AccessToken: "at-b", RefreshToken: "rt-b", TokenType: "Bearer"}

	cases := []struct {
		name  string
		run   func(t *testing.T, s *credentialStore)
		check func(t *testing.T, s *credentialStore)
	}{
		{"empty store", func(*testing.T, *credentialStore) {}, func(t *testing.T, s *credentialStore) {
			if c, err := s.get("https://a.example.com"); c != nil || err != nil {
				t.Fatalf("get = %v, %v", c, err)
			}
			if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
				t.Fatal("reading created the folder")
			}
		}},
		{"servers coexist, keyed without trailing slash", func(t *testing.T, s *credentialStore) {
			mustPut(t, s, a)
			mustPut(t, s, b)
		}, func(t *testing.T, s *credentialStore) {
			got, err := s.get("https://a.example.com")
			if err != nil || got == nil || got.AccessToken != "at-a" || got.Server != "https://a.example.com" || !got.Expiry.Equal(a.Expiry) {
				t.Fatalf("get a = %+v, %v", got, err)
			}
			if got, _ := s.get("http://localhost:8080/"); got == nil || got.RefreshToken != "rt-b" {
				t.Fatalf("get b = %+v", got)
			}
			if servers, _ := s.servers(); !slices.Equal(servers, []string{"http://localhost:8080", "https://a.example.com"}) {
				t.Fatalf("servers = %v", servers)
			}
		}},
		{"put replaces", func(t *testing.T, s *credentialStore) {
			mustPut(t, s, a)
			a2 := a
			a2.AccessToken = "at-a2"
			mustPut(t, s, a2)
		}, func(t *testing.T, s *credentialStore) {
			if got, _ := s.get(a.Server); got == nil || got.AccessToken != "at-a2" {
				t.Fatalf("get = %+v", got)
			}
		}},
		{"remove one keeps the other", func(t *testing.T, s *credentialStore) {
			mustPut(t, s, a)
			mustPut(t, s, b)
			if ok, err := s.remove("https://a.example.com"); !ok || err != nil {
				t.Fatalf("remove = %v, %v", ok, err)
			}
			if ok, err := s.remove("https://a.example.com"); ok || err != nil {
				t.Fatalf("second remove = %v, %v", ok, err)
			}
		}, func(t *testing.T, s *credentialStore) {
			if got, _ := s.get(a.Server); got != nil {
				t.Fatal("a is still stored")
			}
			if got, _ := s.get(b.Server); got == nil {
				t.Fatal("b is gone")
			}
		}},
		{"removing the last deletes the file", func(t *testing.T, s *credentialStore) {
			mustPut(t, s, a)
			if ok, err := s.remove(a.Server); !ok || err != nil {
				t.Fatalf("remove = %v, %v", ok, err)
			}
		}, func(t *testing.T, s *credentialStore) {
			if _, err := os.Stat(s.path()); !os.IsNotExist(err) {
				t.Fatalf("file still there: %v", err)
			}
		}},
		{"private modes, no temporary files", func(t *testing.T, s *credentialStore) {
			if err := os.MkdirAll(s.dir, 0o755); err != nil { // a folder made loose by someone else
				t.Fatal(err)
			}
			mustPut(t, s, a)
			mustPut(t, s, b)
		}, func(t *testing.T, s *credentialStore) {
			if st, _ := os.Stat(s.dir); st.Mode().Perm() != 0o700 {
				t.Fatalf("folder mode %v", st.Mode().Perm())
			}
			if st, _ := os.Stat(s.path()); st.Mode().Perm() != 0o600 {
				t.Fatalf("file mode %v", st.Mode().Perm())
			}
			entries, _ := os.ReadDir(s.dir)
			if len(entries) != 1 || entries[0].Name() != credentialsFile {
				t.Fatalf("folder holds %v", entries)
			}
		}},
		{"corrupt file is an error naming it", func(t *testing.T, s *credentialStore) {
			if err := os.MkdirAll(s.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.path(), []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, s *credentialStore) {
			if _, err := s.get(a.Server); err == nil || !strings.Contains(err.Error(), s.path()) {
				t.Fatalf("get = %v", err)
			}
			if err := s.put(a); err == nil {
				t.Fatal("put over a corrupt file succeeded")
			}
		}},
		{"lock excludes and releases", func(t *testing.T, s *credentialStore) {
			unlock, err := s.lock()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(s.dir, credentialsLock)); err != nil {
				t.Fatalf("no lock file: %v", err)
			}
			unlock()
			unlock2, err := s.lock()
			if err != nil {
				t.Fatalf("relock: %v", err)
			}
			unlock2()
		}, func(t *testing.T, s *credentialStore) {
			if _, err := os.Stat(filepath.Join(s.dir, credentialsLock)); !os.IsNotExist(err) {
				t.Fatal("lock file left behind")
			}
		}},
		{"stale lock is taken over", func(t *testing.T, s *credentialStore) {
			if err := os.MkdirAll(s.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(s.dir, credentialsLock)
			if err := os.WriteFile(p, []byte("1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-2 * lockStale)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
			unlock, err := s.lock()
			if err != nil {
				t.Fatal(err)
			}
			unlock()
		}, func(*testing.T, *credentialStore) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &credentialStore{dir: filepath.Join(t.TempDir(), "gatehouse")}
			c.run(t, s)
			c.check(t, s)
		})
	}
}

func mustPut(t *testing.T, s *credentialStore, c storedCredential) {
	t.Helper()
	if err := s.put(c); err != nil {
		t.Fatal(err)
	}
}

func TestNeedsRefresh(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		expiry time.Time
		want   bool
	}{
		{"no expiry", time.Time{}, false},
		{"in an hour", now.Add(time.Hour), false},
		{"in 61 seconds", now.Add(61 * time.Second), false},
		{"in exactly a minute", now.Add(time.Minute), true},
		{"in 30 seconds", now.Add(30 * time.Second), true},
		{"expired", now.Add(-time.Second), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred := storedCredential{Expiry: c.expiry}
			if got := cred.needsRefresh(now); got != c.want {
				t.Fatalf("needsRefresh = %v, want %v", got, c.want)
			}
		})
	}
}

func TestResolveServer(t *testing.T) {
	one := &credentialStore{dir: t.TempDir()}
	mustPut(t, one, storedCredential{Server: "https://only.example.com", AccessToken: "x"})
	two := &credentialStore{dir: t.TempDir()}
	mustPut(t, two, storedCredential{Server: "https://a.example.com", AccessToken: "x"})
	mustPut(t, two, storedCredential{Server: "https://b.example.com", AccessToken: "x"})
	none := &credentialStore{dir: t.TempDir()}

	cases := []struct {
		name  string
		flag  string
		env   string
		store *credentialStore
		want  string
	}{
		{"flag wins", "https://flag.example.com/", "https://env.example.com", one, "https://flag.example.com"},
		{"environment next", "", "https://env.example.com", one, "https://env.example.com"},
		{"the only stored server", "", "", one, "https://only.example.com"},
		{"two stored servers: the default", "", "", two, defaultServer},
		{"nothing stored: the default", "", "", none, defaultServer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GATEHOUSE_SERVER", c.env)
			if got := resolveServer(c.flag, c.store); got != c.want {
				t.Fatalf("resolveServer = %q, want %q", got, c.want)
			}
		})
	}
}
