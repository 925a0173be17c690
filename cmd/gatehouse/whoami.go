package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// `gatehouse whoami`: who the command line acts as (GET /v1/me), with the credential the API
// commands would use.

func newWhoamiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the API commands act as on the server",
		Args:  cobra.NoArgs,
	}
	f := bindAPIFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, src, err := f.clientWithSource()
		if err != nil {
			return err
		}
		me, err := c.Me(cmd.Context())
		if err != nil {
			return apiError(err)
		}
		out := cmd.OutOrStdout()
		if f.json {
			return printJSON(out, me)
		}
		email := me.Email
		if email == "" {
			email = "-"
		}
		fmt.Fprintf(out, "Username:   %s\n", me.Username)
		fmt.Fprintf(out, "Kind:       %s\n", me.Kind)
		fmt.Fprintf(out, "Email:      %s\n", email)
		fmt.Fprintf(out, "Server:     %s\n", c.BaseURL())
		fmt.Fprintf(out, "Credential: %s\n", src)
		return nil
	}
	return cmd
}
