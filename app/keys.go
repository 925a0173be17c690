package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// keyRotationCheckEvery is how often the server asks whether the signing keys are due for
// rotation (the rotation period is days or weeks; an hour late is fine).
const keyRotationCheckEvery = time.Hour

// NewKeyManager returns the signing-key manager of cfg over store (not yet initialised: call
// Init). reloadEvery 0 means keys.DefaultReloadEvery.
func NewKeyManager(cfg *config.Config, store gatehouse.SigningKeyStore, log *slog.Logger, reloadEvery time.Duration) (*keys.Manager, error) {
	return keys.New(store, keys.Options{
		SecretKey:      cfg.SecretKey,
		RotationPeriod: cfg.SigningKeyRotation,
		ReloadEvery:    reloadEvery,
		Logger:         log,
	})
}

// startKeyRotation runs scheduled signing-key rotation until ctx ends: at start and then every
// keyRotationCheckEvery. Many instances may run it; the store makes them rotate once.
func startKeyRotation(ctx context.Context, log *slog.Logger, mgr *keys.Manager) (done <-chan struct{}) {
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		check := func() {
			rotated, err := mgr.RotateIfDue(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("scheduled signing-key rotation failed", "err", err)
			case rotated:
				log.Info("rotated the signing keys on schedule")
			}
		}
		check()
		t := time.NewTicker(keyRotationCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				check()
			}
		}
	}()
	return finished
}
