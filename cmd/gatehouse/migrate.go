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
			applied, err := app.Migrate(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			for _, name := range applied {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s\n", name)
			}
			kind, _ := cfg.DatabaseKind()
			fmt.Fprintf(cmd.OutOrStdout(), "%s database is up to date (%d migration(s) applied now)\n", kind, len(applied))
			return nil
		},
	}
	config.BindFlags(cmd.Flags())
	return cmd
}
