package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
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
		Short: "Rotate the signing keys: the next key starts signing, a new next key is published",
		Long: "Rotate the token signing keys: the next key (already published) becomes the current\n" +
			"one, the current one stays published as previous, the previous one is retired, and a\n" +
			"new next key is published. Running servers pick up the change within 30 seconds.",
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
			fmt.Fprintf(cmd.OutOrStdout(), "Rotated the signing keys.\ncurrent: %s\nnext:    %s\n", rot.Current, rot.Next)
			return nil
		},
	}
}
