package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/client"
)

func newAPIKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "api-keys",
		Short: "Manage an organization's API keys through the API (owners and admins)",
	}
	f := bindAPIFlags(cmd)
	cmd.AddCommand(newAPIKeysCreateCommand(f), newAPIKeysListCommand(f), newAPIKeysRevokeCommand(f), newAPIKeysRotateCommand(f))
	return cmd
}

// orgFlag adds the required --org flag.
func orgFlag(cmd *cobra.Command, org *string) {
	cmd.Flags().StringVar(org, "org", "", "the organization's org_ ID")
	_ = cmd.MarkFlagRequired("org")
}

func newAPIKeysCreateCommand(f *apiFlags) *cobra.Command {
	var org, name, env, expiresAt, rateLimit string
	var scopes, cidrs []string
	cmd := &cobra.Command{
		Use:   "create --org ORG --name N --scope s... --env live|test [--cidr c]... [--expires-at T] [--rate-limit 100/m]",
		Short: "Create an API key (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := client.CreateAPIKeyRequest{Name: name, Scopes: scopes, Environment: env, AllowedCIDRs: cidrs, RateLimit: rateLimit}
			if expiresAt != "" {
				t, err := time.Parse(time.RFC3339, expiresAt)
				if err != nil {
					return fmt.Errorf("--expires-at must be an RFC 3339 time such as 2030-01-31T00:00:00Z")
				}
				req.ExpiresAt = &t
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			k, err := c.CreateAPIKey(cmd.Context(), org, req)
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, k)
			}
			fmt.Fprintf(out, "Created %s API key %q (%s), scopes %s, expires %s.\n", k.Environment, k.Name, k.ID, joinList(k.Scopes, "none"), whenOr(k.ExpiresAt, "never"))
			printSecret(out, "API key", k.Key)
			return nil
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringVar(&name, "name", "", "what the key is for")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "a scope resource:action, e.g. calls:read or *:write (repeatable)")
	cmd.Flags().StringVar(&env, "env", "", "environment: live or test")
	cmd.Flags().StringArrayVar(&cidrs, "cidr", nil, "allow only addresses in this IPv4 or IPv6 prefix (repeatable; none: any address)")
	cmd.Flags().StringVar(&expiresAt, "expires-at", "", "expiry as an RFC 3339 time (default: never)")
	cmd.Flags().StringVar(&rateLimit, "rate-limit", "", "the key's own rate limit, e.g. 100/m (N/s, N/m, N/h or N/d)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("scope")
	_ = cmd.MarkFlagRequired("env")
	return cmd
}

func newAPIKeysListCommand(f *apiFlags) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ORG",
		Short: "List an organization's API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			keys, err := c.ListAPIKeys(cmd.Context(), org)
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, listJSON[client.APIKey]{Data: keys})
			}
			t := newTable(out, "ID", "NAME", "ENV", "PREFIX", "SCOPES", "CIDRS", "RATE LIMIT", "EXPIRES", "LAST USED")
			for _, k := range keys {
				rate := ""
				if k.RateLimit != nil {
					rate = *k.RateLimit
				}
				lastUsed := whenOr(k.LastUsedAt, "never")
				if k.LastUsedIP != "" {
					lastUsed += " from " + k.LastUsedIP
				}
				t.row(k.ID, k.Name, k.Environment, k.Prefix, joinList(k.Scopes, ""), joinList(k.AllowedCIDRs, "any"), rate, whenOr(k.ExpiresAt, "never"), lastUsed)
			}
			return t.flush()
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func newAPIKeysRevokeCommand(f *apiFlags) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "revoke --org ORG ID",
		Short: "Revoke an API key at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if err := c.RevokeAPIKey(cmd.Context(), org, args[0]); err != nil {
				return apiError(err)
			}
			if !f.json {
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked API key %s.\n", args[0])
			}
			return nil
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func newAPIKeysRotateCommand(f *apiFlags) *cobra.Command {
	var org, overlap string
	cmd := &cobra.Command{
		Use:   "rotate --org ORG ID [--overlap 24h]",
		Short: "Replace an API key (the new key is printed once); the old one works until the overlap ends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			k, err := c.RotateAPIKey(cmd.Context(), org, args[0], overlap)
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, k)
			}
			fmt.Fprintf(out, "Rotated API key %s: the new key is %s; the old one works until %s UTC.\n", k.Replaces, k.ID, when(k.ReplacesExpiresAt))
			printSecret(out, "API key", k.Key)
			return nil
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringVar(&overlap, "overlap", "", "how long the old key keeps working, e.g. 24h, 30m or 7d (default: the server's)")
	return cmd
}
