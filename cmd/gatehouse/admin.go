package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/config"
)

func newAdminCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator repairs against the configured database (the server may be running)",
	}
	config.BindFlags(cmd.PersistentFlags())
	cmd.AddCommand(newCreateUserCommand(), newResetPasswordCommand(), newRevokeSessionsCommand(), newSetPlanCommand())
	return cmd
}

// withService opens the configured database and runs fn with the operator's use cases.
func withService(cmd *cobra.Command, fn func(ctx context.Context, svc *auth.Admin) error) error {
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
	svc := app.NewServices(cfg, store, app.NewHasher(cfg), log, nil)
	if err := svc.Init(ctx); err != nil {
		return err
	}
	return describe(fn(ctx, svc.Admin))
}

// describe turns a domain error into its caller-safe message for the terminal.
func describe(err error) error {
	var e *gatehouse.Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s (%s)", gatehouse.ErrorMessage(err), e.Code)
	}
	return err
}

// readPassword reads one line from stdin (the password is never a flag: it would show in ps).
// It requires --password-stdin (given says whether it was), so that nobody types a password
// into a terminal expecting a prompt.
func readPassword(r io.Reader, given bool) (string, error) {
	if !given {
		return "", errors.New("--password-stdin is required: the password is read from standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("reading the password from standard input: nothing was given (pipe it in, e.g. `echo \"$PW\" | gatehouse admin ...`)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newCreateUserCommand() *cobra.Command {
	var username, email string
	var admin, stdin bool
	cmd := &cobra.Command{
		Use:   "create-user --username U [--email E] [--admin] --password-stdin",
		Short: "Create an account (an instance administrator with --admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(cmd.InOrStdin(), stdin)
			if err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *auth.Admin) error {
				u, err := svc.CreateUser(ctx, auth.RegisterInput{Username: username, Email: email, Password: pw}, admin)
				if err != nil {
					return err
				}
				role := "user"
				if admin {
					role = "administrator"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %s %s (%s)\n", role, u.Username, u.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "username (2-24 letters, digits, _ or -)")
	cmd.Flags().StringVar(&email, "email", "", "email address (optional)")
	cmd.Flags().BoolVar(&admin, "admin", false, "make the account an instance administrator")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

func newResetPasswordCommand() *cobra.Command {
	var username string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "reset-password --username U --password-stdin",
		Short: "Set a user's password and sign the user out everywhere",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(cmd.InOrStdin(), stdin)
			if err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *auth.Admin) error {
				if err := svc.ResetPassword(ctx, username, pw); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %s reset; all sessions revoked\n", username)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "username")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

func newRevokeSessionsCommand() *cobra.Command {
	var username string
	cmd := &cobra.Command{
		Use:   "revoke-sessions --username U",
		Short: "Revoke every session, refresh token and outstanding access token of a user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd, func(ctx context.Context, svc *auth.Admin) error {
				n, err := svc.RevokeSessions(ctx, username)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %d session(s) of %s\n", n, username)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "username")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

func newSetPlanCommand() *cobra.Command {
	var username, source string
	cmd := &cobra.Command{
		Use:   "set-plan --username U --plan-source S",
		Short: "Set where a user's plan comes from (GET /v1/me/account's plan_source; new accounts: free)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd, func(ctx context.Context, svc *auth.Admin) error {
				if err := svc.SetPlanSource(ctx, username, source); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "plan source of %s set to %s\n", username, source)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "username")
	cmd.Flags().StringVar(&source, "plan-source", "", "plan source (lowercase letters, digits, _, - or .; e.g. free, stripe)")
	_ = cmd.MarkFlagRequired("username")
	_ = cmd.MarkFlagRequired("plan-source")
	return cmd
}
