package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/client"
)

func newAgentsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "Manage your agents (bots, AI agents) through the API",
	}
	f := bindAPIFlags(cmd)
	cmd.AddCommand(newAgentsCreateCommand(f), newAgentsListCommand(f), newAgentsVerifyCommand(f),
		newAgentsRotateCommand(f), newAgentsTransferCommand(f), newAgentsDeleteCommand(f))
	return cmd
}

func newAgentsVerifyCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "verify ID",
		Short: "Verify an agent so that it may sign in with its token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			a, err := c.VerifyAgent(cmd.Context(), args[0])
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, a)
			}
			fmt.Fprintf(out, "Verified agent %q (%s); it may now sign in with its token.\n", a.Name, a.ID)
			return nil
		},
	}
}

func newAgentsCreateCommand(f *apiFlags) *cobra.Command {
	var name, role string
	cmd := &cobra.Command{
		Use:   "create --name N [--role R]",
		Short: "Create an agent (its token is printed once; verify the agent before it signs in)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			a, err := c.CreateAgent(cmd.Context(), client.CreateAgentRequest{Name: name, Role: role})
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, a)
			}
			fmt.Fprintf(out, "Created agent %q (%s). It cannot sign in until you run `gatehouse agents verify %s`.\n", a.Agent.Name, a.Agent.ID, a.Agent.ID)
			printSecret(out, "Agent token", a.AgentToken)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the agent's name")
	cmd.Flags().StringVar(&role, "role", "", "what the agent does (optional)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newAgentsListCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your agents (never their tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			agents, err := c.ListAgents(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), listJSON[client.Agent]{Data: agents})
			}
			return printAgents(cmd.OutOrStdout(), agents)
		},
	}
}

// printAgents writes agents as a table.
func printAgents(w io.Writer, agents []client.Agent) error {
	t := newTable(w, "ID", "NAME", "ROLE", "TOKEN PREFIX", "VERIFIED", "CREATED")
	for _, a := range agents {
		verified := "no"
		if a.Verified {
			verified = whenOr(a.VerifiedAt, "yes")
		}
		t.row(a.ID, a.Name, a.Role, a.TokenPrefix, verified, when(a.CreatedAt))
	}
	return t.flush()
}

func newAgentsRotateCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate ID",
		Short: "Give an agent a new token (printed once); the old token and its sessions stop working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			a, err := c.RotateAgent(cmd.Context(), args[0])
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, a)
			}
			fmt.Fprintf(out, "Rotated the token of agent %q (%s); the old token and its sessions are revoked.\n", a.Agent.Name, a.Agent.ID)
			printSecret(out, "Agent token", a.AgentToken)
			return nil
		},
	}
}

func newAgentsTransferCommand(f *apiFlags) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "transfer ID --to USER",
		Short: "Give an agent to another person (its token dies; they verify it and rotate for a new one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			a, err := c.TransferAgent(cmd.Context(), args[0], to)
			if err != nil {
				return apiError(err)
			}
			out := cmd.OutOrStdout()
			if f.json {
				return printJSON(out, a)
			}
			fmt.Fprintf(out, "Transferred agent %q (%s) to %s; its token no longer works and it left every organization. The new owner verifies it (agents verify) and gets a token with agents rotate.\n", a.Name, a.ID, to)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new owner's username or user ID")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newAgentsDeleteCommand(f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an agent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if err := c.DeleteAgent(cmd.Context(), args[0]); err != nil {
				return apiError(err)
			}
			if !f.json {
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted agent %s.\n", args[0])
			}
			return nil
		},
	}
}
