package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"net/url"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
)

func gatehouseRate(s string) (gatehouse.Rate, error) { return gatehouse.ParseRate(s) }

// lockedWriter serialises writes of concurrent log lines into one buffer.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// configT is the server configuration type, named short for test tables.
type configT = config.Config

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// canonical renders v as JSON with sorted keys, for byte comparisons.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // map keys are sorted by encoding/json
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return []netip.Prefix{p}
}
