package record

import (
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// FillSigningKeyPair checks and fills the first current and next key of one algorithm for
// InitSigningKeys (FillSigningKey, created being now). Two algorithms → CodeInvalidRequest.
func FillSigningKeyPair(current, next *gatehouse.SigningKey, now time.Time) error {
	if err := FillSigningKey(current, gatehouse.KeyStateCurrent, now); err != nil {
		return err
	}
	if err := FillSigningKey(next, gatehouse.KeyStateNext, now); err != nil {
		return err
	}
	if current.Algorithm != next.Algorithm {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The first current and next signing keys must have one algorithm.")
	}
	return nil
}

// FillSigningKeyRotation checks and fills the new next keys of a rotation (FillSigningKey in
// state next, created being at): at least one, at most one per algorithm (else
// CodeInvalidRequest).
func FillSigningKeyRotation(next []*gatehouse.SigningKey, at time.Time) error {
	if len(next) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A rotation needs a new next signing key.")
	}
	seen := map[string]bool{}
	for _, k := range next {
		if err := FillSigningKey(k, gatehouse.KeyStateNext, at); err != nil {
			return err
		}
		if seen[k.Algorithm] {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A rotation takes one new signing key per algorithm.")
		}
		seen[k.Algorithm] = true
	}
	return nil
}

// PublishedKeyIDs are the IDs of the published signing keys by algorithm, then state.
type PublishedKeyIDs map[string]map[string]string

// Add notes the key id of algorithm alg in state.
func (p PublishedKeyIDs) Add(alg, state, id string) {
	if p[alg] == nil {
		p[alg] = map[string]string{}
	}
	p[alg][state] = id
}

// CheckSigningKeyRotation decides, inside the rotation's transaction, whether the published keys
// allow rotating the algorithms of next: each needs a current and a next key (else not found),
// and every ID of expectCurrent must be a current key (else CodeConflict: another instance
// rotated first).
func CheckSigningKeyRotation(ids PublishedKeyIDs, expectCurrent []string, next []*gatehouse.SigningKey) error {
	for _, k := range next {
		if ids[k.Algorithm][gatehouse.KeyStateCurrent] == "" || ids[k.Algorithm][gatehouse.KeyStateNext] == "" {
			return &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "Signing key not found."}
		}
	}
	current := map[string]bool{}
	for _, byState := range ids {
		if id := byState[gatehouse.KeyStateCurrent]; id != "" {
			current[id] = true
		}
	}
	for _, id := range expectCurrent {
		if !current[id] {
			return ErrSigningKeysRotated
		}
	}
	return nil
}

// ErrSigningKeysRotated is a conditional rotation's answer when an expected current key is no
// longer current.
var ErrSigningKeysRotated = gatehouse.Errorf(gatehouse.CodeConflict, "The signing keys were rotated already.")
