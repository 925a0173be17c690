package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatehouse-auth/gatehouse/config"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Gatehouse: authentication and API credentials for developer platforms",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newMigrateCommand(), newAdminCommand(), newTokensCommand(), newAgentsCommand(), newAPIKeysCommand())
	root.AddCommand(newSigningKeysCommand())
	root.AddCommand(newLoginCommand(), newLogoutCommand(), newWhoamiCommand())
	return root
}

// loadConfig reads the configuration from the environment and the command's flags, reporting
// every invalid value at once.
func loadConfig(fs *pflag.FlagSet) (*config.Config, error) {
	return config.Load(os.Environ(), fs)
}

// newLogger builds the process logger in the configured format.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
