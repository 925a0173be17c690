package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

func newServeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Gatehouse server",
		Long: "Run the Gatehouse server. With no configuration it creates ./gatehouse.db (SQLite) and\n" +
			"listens on 127.0.0.1:8080. Every flag mirrors an environment variable; flags win.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg)
		},
	}
	config.BindFlags(cmd.Flags())
	return cmd
}

func serve(ctx context.Context, cfg *config.Config) error {
	log := newLogger(cfg, os.Stderr)
	slog.SetDefault(slog.New(httpapi.LogHandler(log.Handler()))) // lines logged with a request's context carry its ID
	start := time.Now()
	m := app.New(cfg, log)
	if err := m.Start(ctx); err != nil {
		return err
	}
	kind, _ := cfg.DatabaseKind()
	log.Info("gatehouse is ready", "url", cfg.PublicURL.String(), "listen", m.URL(), "database", kind, "startup", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(os.Stderr, "\n  Gatehouse is running at %s  (sign in: %s/login)\n\n", cfg.PublicURL, cfg.PublicURL)
	if err := m.Wait(ctx); err != nil {
		return err
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := m.Close(sctx); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}
