package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/logwriter"
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
			return serve(cmd.Context(), cfg, os.Environ(), cmd.ErrOrStderr())
		},
	}
	config.BindFlags(cmd.Flags())
	return cmd
}

// serverGCPercent is the garbage collector's GOGC for `gatehouse serve` when the environment sets
// none. A request allocates a few kilobytes and the live heap is small (a few MB), so Go's
// default of 100 collects very often under load: on the 2-core benchmark machine GOGC=400 took
// /v1/verify from ~25,000 to ~35,000 checks/s saturated and its p99 at 20,000/s from ~6.5 ms to
// 5.0 ms (docs/benchmarks.md), while idle RSS stayed 25.5 MB and the peak under load rose to
// ~46 MB. GOGC (and GOMEMLIMIT) in the environment still win.
const serverGCPercent = 400

// tuneGC applies serverGCPercent unless GOGC is set.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serverGCPercent)
	}
}

// serve runs the server of cfg until ctx ends, logging to stderr. environ is the environment
// cfg was read from: its unknown GATEHOUSE_* variables are reported before anything starts.
func serve(ctx context.Context, cfg *config.Config, environ []string, stderr io.Writer) error {
	tuneGC()
	// Log lines reach stderr in batches (logwriter): no system call per request for the access
	// log; warnings and errors are flushed at once, and everything on return.
	out := logwriter.New(stderr, 0)
	defer out.Close()
	log := slog.New(logwriter.FlushingHandler(newLogger(cfg, out).Handler(), out))
	slog.SetDefault(slog.New(httpapi.LogHandler(log.Handler()))) // lines logged with a request's context carry its ID
	start := time.Now()
	warnAboutConfig(log, cfg, environ)
	m := app.New(cfg, log)
	if err := m.Start(ctx); err != nil {
		return err
	}
	kind, _ := cfg.DatabaseKind()
	log.Info("gatehouse is ready", "url", cfg.PublicURL.String(), "listen", m.URL(), "database", kind, "startup", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(out, "\n  Gatehouse is running at %s  (sign in: %s/login)\n\n", cfg.PublicURL, cfg.PublicURL)
	_ = out.Flush()
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

// warnAboutConfig logs, before the server starts (so also when a typo makes it fail), every
// GATEHOUSE_* variable of environ that is no setting (a typo is otherwise silently ignored),
// with the closest valid name when one is near, and the valid settings that deserve attention
// (config.Warnings). Values are never logged: a mistyped secret's would be.
func warnAboutConfig(log *slog.Logger, cfg *config.Config, environ []string) {
	for _, name := range config.UnknownVariables(environ) {
		attrs := []any{"variable", name}
		if closest := config.ClosestVariable(name); closest != "" {
			attrs = append(attrs, "did_you_mean", closest)
		}
		log.Warn("unknown configuration variable ignored", attrs...)
	}
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
}
