package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/keys"
)

func newSigningKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signing-keys",
		Short: "Manage the token signing keys in the configured database (the server may be running)",
	}
	config.BindFlags(cmd.PersistentFlags())
	cmd.AddCommand(newRotateSigningKeysCommand())
	return cmd
}

func newRotateSigningKeysCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "Rotate the signing keys: the next keys start signing, new next keys are published",
		Long: "Rotate the token signing keys of both algorithms (ES256 for access tokens, RS256 for\n" +
			"ID tokens) together: each next key (already published) becomes the current one, the\n" +
			"current one stays published as previous, the previous one is retired, and a new next\n" +
			"key is published. Running servers pick up the change within 30 seconds.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			store, err := app.OpenStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			mgr, err := app.NewKeyManager(cfg, store, log, 0)
			if err != nil {
				return err
			}
			if err := mgr.Init(ctx); err != nil { // creates the first pair on a fresh database
				return err
			}
			rot, err := mgr.Rotate(ctx)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Rotated the signing keys.")
			for _, alg := range []string{keys.ES256, keys.RS256} {
				fmt.Fprintf(cmd.OutOrStdout(), "%s current: %s\n%s next:    %s\n", alg, rot.Current[alg], alg, rot.Next[alg])
			}
			return nil
		},
	}
}
