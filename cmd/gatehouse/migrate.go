package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
)

func newMigrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			store, err := app.OpenStore(cmd.Context(), cfg) // opening applies migrations
			if err != nil {
				return err
			}
			defer store.Close()
			kind, _ := cfg.DatabaseKind()
			fmt.Fprintf(cmd.OutOrStdout(), "migrations applied (%s)\n", kind)
			return nil
		},
	}
	config.BindFlags(cmd.Flags())
	return cmd
}
