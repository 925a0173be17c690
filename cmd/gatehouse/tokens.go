package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/client"
)

func newTokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Manage your personal access tokens through the API",
	}
	f := bindAPIFlags(cmd)
	cmd.AddCommand(newTokensCreateCommand(f), newTokensListCommand(f), newTokensRevokeCommand(f))
	return cmd
}

func newTokensCreateCommand(f *apiFlags) *cobra.Command {
	var name, expires string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create --name N --expires 30d|90d|1y|never [--scope s]...",
		Short: "Create a personal access token (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			t, err := c.CreateToken(cmd.Context(), client.CreateTokenRequest{Name: name, ExpiresIn: expires, Scopes: scopes})
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, t)
			}
			fmt.Fprintf(out, "Created token %q (%s), scopes %s, expires %s.\n", t.Name, t.ID, joinList(t.Scopes, "all"), whenOr(t.ExpiresAt, "never"))
			printSecret(out, "Token", t.Token)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime: 30d, 90d, 1y or never")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "limit the token to a scope resource:action (repeatable; none: not limited)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("expires")
	return cmd
}

func newTokensListCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your personal access tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			tokens, err := c.ListTokens(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, listJSON[client.Token]{Data: tokens})
			}
			t := newTable(out, "ID", "NAME", "PREFIX", "SCOPES", "CREATED", "EXPIRES", "LAST USED")
			for _, x := range tokens {
				t.row(x.ID, x.Name, x.Prefix, joinList(x.Scopes, "all"), when(x.CreatedAt), whenOr(x.ExpiresAt, "never"), whenOr(x.LastUsedAt, "never"))
			}
			return t.flush()
		},
	}
}

func newTokensRevokeCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a personal access token; it fails from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return apiError(err)
			}
			if !f.json {
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked token %s.\n", args[0])
			}
			return nil
		},
	}
}
