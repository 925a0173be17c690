package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// Headers of GitHub's secret-scanning partner requests.
const (
	HeaderScanKeyID     = "Github-Public-Key-Identifier"
	HeaderScanSignature = "Github-Public-Key-Signature"
)

// maxScanSignature bounds the base64 signature header (a P-256 DER signature is at most 72 bytes).
const maxScanSignature = 256

// SecretScanningKeys are the ECDSA P-256 public keys allowed to sign leaked-token reports, by key
// identifier. It is immutable once loaded.
type SecretScanningKeys struct {
	keys map[string]*ecdsa.PublicKey
}

// Len returns how many keys the set holds.
func (k *SecretScanningKeys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.keys)
}

// secretScanningKeyList is GitHub's key-list JSON format
// (https://api.github.com/meta/public_keys/secret_scanning).
type secretScanningKeyList struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"` // PEM "PUBLIC KEY" (PKIX)
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// LoadSecretScanningKeys reads a key list in GitHub's format from path. Every key must be an
// ECDSA P-256 public key with a non-empty, unique identifier, and there must be at least one.
func LoadSecretScanningKeys(path string) (*SecretScanningKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret-scanning keys: %w", err)
	}
	k, err := ParseSecretScanningKeys(b)
	if err != nil {
		return nil, fmt.Errorf("secret-scanning keys %s: %w", path, err)
	}
	return k, nil
}

// ParseSecretScanningKeys parses a key list in GitHub's format (see LoadSecretScanningKeys).
func ParseSecretScanningKeys(data []byte) (*SecretScanningKeys, error) {
	var list secretScanningKeyList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("not a key list: %w", err)
	}
	if len(list.PublicKeys) == 0 {
		return nil, errors.New(`no keys in "public_keys"`)
	}
	out := &SecretScanningKeys{keys: make(map[string]*ecdsa.PublicKey, len(list.PublicKeys))}
	for i, e := range list.PublicKeys {
		if e.KeyIdentifier == "" {
			return nil, fmt.Errorf("key %d has no key_identifier", i)
		}
		if _, dup := out.keys[e.KeyIdentifier]; dup {
			return nil, fmt.Errorf("key identifier %q appears twice", e.KeyIdentifier)
		}
		block, _ := pem.Decode([]byte(e.Key))
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("key %q is not a PEM PUBLIC KEY", e.KeyIdentifier)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", e.KeyIdentifier, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("key %q is not an ECDSA P-256 key", e.KeyIdentifier)
		}
		out.keys[e.KeyIdentifier] = ec
	}
	return out, nil
}

// verify checks sig (base64 of an ASN.1 DER ECDSA signature of SHA-256(body)) under the key
// named keyID.
func (k *SecretScanningKeys) verify(keyID, sig string, body []byte) bool {
	pub, ok := k.keys[keyID]
	if !ok || sig == "" || len(sig) > maxScanSignature {
		return false
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	digest := sha256.Sum256(body)
	return ecdsa.VerifyASN1(pub, digest[:], der)
}

var errBadScanSignature = &gatehouse.Error{Code: gatehouse.CodeInvalidCredentials, Message: "The report's signature does not verify."}

// leakMatch is one match of GitHub's secret-scanning partner payload.
type leakMatch struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url,omitempty"`
	Source string `json:"source,omitempty"`
}

// leakLabel is GitHub's false-positive feedback format, one per match.
type leakLabel struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"` // "true_positive" or "false_positive"
}

// secretScanningReport handles POST /v1/secret-scanning/report: a leaked-token report signed by
// one of the configured keys. It is 404 when no keys (or no Leaks service) are configured, 401 when the signature or
// key identifier is missing or wrong; the body is read raw (the signature covers its exact bytes)
// and decoded only once verified.
func (s *Server) secretScanningReport(w http.ResponseWriter, r *http.Request) error {
	if s.SecretScanningKeys.Len() == 0 || s.Leaks == nil {
		return &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such endpoint."}
	}
	if err := s.rateLimit(r, "secret-scanning"); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(rootWriter(w), r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return gatehouse.Errorf(gatehouse.CodeRequestTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body could not be read.")
	}
	if !s.SecretScanningKeys.verify(r.Header.Get(HeaderScanKeyID), r.Header.Get(HeaderScanSignature), body) {
		Logger(r.Context()).Warn("secret-scanning report refused: bad signature or unknown key")
		return errBadScanSignature
	}
	var matches []leakMatch
	if err := json.Unmarshal(body, &matches); err != nil {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The body must be a JSON array of {token, type, url, source}.")
	}
	reports := make([]auth.LeakReport, len(matches))
	for i, m := range matches {
		reports[i] = auth.LeakReport{Token: m.Token, Type: m.Type, URL: m.URL, Source: m.Source}
	}
	verdicts, err := s.Leaks.Report(r.Context(), reports, s.meta(r))
	if err != nil {
		return err
	}
	out := make([]leakLabel, len(verdicts))
	for i, v := range verdicts {
		out[i] = leakLabel{TokenRaw: v.Report.Token, TokenType: v.Report.Type, Label: "false_positive"}
		if v.TruePositive {
			out[i].Label = "true_positive"
		}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
