package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The CLI's stored sign-ins (`gatehouse login`): one JSON file, credentials.json, in the user's
// config folder (os.UserConfigDir()/gatehouse, or GATEHOUSE_CONFIG_DIR), the folder 0700 and
// the file 0600, rewritten atomically (a temporary file renamed over it), one entry per server
// URL so that several servers coexist. A lock file serializes the read-refresh-write cycle of
// concurrent commands: refresh tokens are single use, and two processes refreshing with the
// same one would revoke the whole family.

const (
	credentialsFile = "credentials.json"
	credentialsLock = "credentials.lock"
	// lockWait bounds how long a command waits for another one's refresh; lockStale is the age
	// after which a lock file is considered left behind by a crashed process.
	lockWait  = 15 * time.Second
	lockStale = 60 * time.Second
)

// storedCredential is one server's sign-in.
type storedCredential struct {
	Server       string    `json:"server"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	TokenType    string    `json:"token_type"`
}

// credentialsDoc is the file's content.
type credentialsDoc struct {
	Credentials map[string]storedCredential `json:"credentials"`
}

// credentialStore is the folder that holds credentials.json.
type credentialStore struct{ dir string }

// configDir is GATEHOUSE_CONFIG_DIR, else the gatehouse folder of the user's config folder.
func configDir() (string, error) {
	if d := os.Getenv("GATEHOUSE_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config folder for stored sign-ins (set GATEHOUSE_CONFIG_DIR): %w", err)
	}
	return filepath.Join(base, "gatehouse"), nil
}

func openCredentialStore() (*credentialStore, error) {
	dir, err := configDir()
	if err != nil {
		return nil, err
	}
	return &credentialStore{dir: dir}, nil
}

func (s *credentialStore) path() string { return filepath.Join(s.dir, credentialsFile) }

// normalizeServer is the key of a server: its URL without trailing slashes.
func normalizeServer(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

// load reads every stored credential; a missing file is an empty store.
func (s *credentialStore) load() (map[string]storedCredential, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]storedCredential{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading stored sign-ins: %w", err)
	}
	var doc credentialsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading stored sign-ins: %s is not valid JSON (remove it and sign in again): %w", s.path(), err)
	}
	if doc.Credentials == nil {
		doc.Credentials = map[string]storedCredential{}
	}
	return doc.Credentials, nil
}

// get returns the credential stored for server, nil when there is none.
func (s *credentialStore) get(server string) (*storedCredential, error) {
	all, err := s.load()
	if err != nil {
		return nil, err
	}
	c, ok := all[normalizeServer(server)]
	if !ok {
		return nil, nil
	}
	return &c, nil
}

// servers lists the servers with a stored credential, sorted.
func (s *credentialStore) servers() ([]string, error) {
	all, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(all))
	for k := range all {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// put stores c under its server, replacing an earlier one.
func (s *credentialStore) put(c storedCredential) error {
	c.Server = normalizeServer(c.Server)
	all, err := s.load()
	if err != nil {
		return err
	}
	all[c.Server] = c
	return s.write(all)
}

// remove forgets server's credential; it reports whether there was one.
func (s *credentialStore) remove(server string) (bool, error) {
	all, err := s.load()
	if err != nil {
		return false, err
	}
	key := normalizeServer(server)
	if _, ok := all[key]; !ok {
		return false, nil
	}
	delete(all, key)
	if len(all) == 0 {
		if err := os.Remove(s.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return true, fmt.Errorf("removing stored sign-ins: %w", err)
		}
		return true, nil
	}
	return true, s.write(all)
}

// ensureDir creates the folder, private to the user.
func (s *credentialStore) ensureDir() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", s.dir, err)
	}
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("restricting %s to its owner: %w", s.dir, err)
	}
	return nil
}

// write replaces the file atomically: a private temporary file in the same folder, synced, then
// renamed over credentials.json, so that a reader never sees half a file.
func (s *credentialStore) write(all map[string]storedCredential) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(credentialsDoc{Credentials: all}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding stored sign-ins: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, credentialsFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fmt.Errorf("writing stored sign-ins: %w", err)
	}
	done = true
	return nil
}

// lock takes the store's lock file (created exclusively), waiting for another command's refresh
// to finish; a lock older than lockStale is taken over. The returned function releases it.
func (s *credentialStore) lock() (func(), error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	p := filepath.Join(s.dir, credentialsLock)
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(p) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("locking stored sign-ins: %w", err)
		}
		if st, serr := os.Stat(p); serr == nil && time.Since(st.ModTime()) > lockStale {
			os.Remove(p)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("stored sign-ins are locked by another gatehouse command (remove %s if none is running)", p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
