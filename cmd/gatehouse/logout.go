package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// `gatehouse logout`: revoke the stored sign-in on the server (RFC 7009, client gatehouse-cli)
// and forget it locally.

func newLogoutCommand() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "logout [--server URL]",
		Short: "Revoke and forget the command line's sign-in to a server",
		Long: `Revoke the stored sign-in on the server and delete it from this computer. The server is
--server, else GATEHOUSE_SERVER, else the only server you are signed in to, else ` + defaultServer + `.
When the server cannot be reached the credential is still deleted locally, with a warning.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openCredentialStore()
			if err != nil {
				return err
			}
			srv := resolveServer(server, store)
			cred, err := store.get(srv)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if cred == nil {
				fmt.Fprintf(out, "Not signed in to %s.\n", srv)
				return nil
			}
			if err := revokeStored(cmd.Context(), cred); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not revoke the sign-in on %s (%v); it stays valid there until it expires\n", srv, err)
			}
			if _, err := store.remove(srv); err != nil {
				return err
			}
			fmt.Fprintf(out, "Signed out of %s.\n", srv)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "Gatehouse base URL (env GATEHOUSE_SERVER)")
	return cmd
}

// revokeStored revokes the credential's refresh token (which ends its family) and then its
// access token at the server's revocation endpoint, as the public client gatehouse-cli.
func revokeStored(ctx context.Context, c *storedCredential) error {
	ep, err := discover(ctx, c.Server)
	if err != nil {
		return err
	}
	endpoint := ep.RevocationEndpoint
	if endpoint == "" {
		endpoint = c.Server + "/oauth2/revoke"
	}
	if c.RefreshToken != "" {
		if err := revokeToken(ctx, endpoint, c.RefreshToken, "refresh_token"); err != nil {
			return err
		}
	}
	return revokeToken(ctx, endpoint, c.AccessToken, "access_token")
}

// revokeToken is one RFC 7009 request; 200 means revoked (or unknown, which is the same).
func revokeToken(ctx context.Context, endpoint, tok, hint string) error {
	form := url.Values{"token": {tok}, "token_type_hint": {hint}, "client_id": {cliClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := (&http.Client{Timeout: oauthTimeout}).Do(req)
	if err != nil {
		return unwrapURL(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("the revocation endpoint answered HTTP %d", res.StatusCode)
	}
	return nil
}
