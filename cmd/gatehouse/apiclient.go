package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-auth/gatehouse/client"
)

// defaultServer is the server the API commands talk to without --server, GATEHOUSE_SERVER or a
// single stored sign-in.
const defaultServer = "http://localhost:8080"

// apiFlags are the flags every API command (tokens, agents, api-keys, whoami) shares.
type apiFlags struct {
	server string
	token  string
	json   bool
	now    func() time.Time // the clock that decides whether a stored access token needs a refresh
	ctx    context.Context  // the running command's context (set before it runs)
}

// bindAPIFlags adds --server, --token and --json to cmd and its subcommands.
func bindAPIFlags(cmd *cobra.Command) *apiFlags {
	f := &apiFlags{now: time.Now}
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		f.ctx = c.Context()
		return nil
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", "", "Gatehouse base URL (env GATEHOUSE_SERVER; default: the only server you are signed in to, else "+defaultServer+")")
	pf.StringVar(&f.token, "token", "", "bearer credential: a session token or personal access token (env GATEHOUSE_TOKEN; default: your gatehouse login)")
	pf.BoolVar(&f.json, "json", false, "print the API's JSON instead of a table")
	return f
}

// serverURL is --server, else GATEHOUSE_SERVER, else the only server with a stored sign-in
// (gatehouse login), else defaultServer.
func (f *apiFlags) serverURL() string {
	store, err := openCredentialStore()
	if err != nil {
		store = nil
	}
	return resolveServer(f.server, store)
}

// credentialSource says where a command's credential came from.
type credentialSource string

const (
	sourceFlag   credentialSource = "--token"
	sourceEnv    credentialSource = "GATEHOUSE_TOKEN"
	sourceStored credentialSource = "gatehouse login"
)

// credential is the bearer credential of the API commands for server: --token, else
// GATEHOUSE_TOKEN, else the stored sign-in of server (refreshed when it expires within a
// minute). This is the one place that decides it.
func (f *apiFlags) credential(ctx context.Context, server string) (string, credentialSource, error) {
	if f.token != "" {
		return f.token, sourceFlag, nil
	}
	if v := os.Getenv("GATEHOUSE_TOKEN"); v != "" {
		return v, sourceEnv, nil
	}
	store, err := openCredentialStore()
	if err != nil {
		return "", "", err
	}
	now := f.now
	if now == nil {
		now = time.Now
	}
	tok, err := freshAccessToken(ctx, store, server, now)
	if err != nil {
		return "", "", err
	}
	if tok == "" {
		return "", "", fmt.Errorf("no credential: pass --token or set GATEHOUSE_TOKEN, or run gatehouse login --server %s", server)
	}
	return tok, sourceStored, nil
}

// client returns the API client for the command's server and credential.
func (f *apiFlags) client() (*client.Client, error) {
	c, _, err := f.clientWithSource()
	return c, err
}

// clientWithSource is client, also saying where the credential came from.
func (f *apiFlags) clientWithSource() (*client.Client, credentialSource, error) {
	ctx := f.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	server := f.serverURL()
	tok, src, err := f.credential(ctx, server)
	if err != nil {
		return nil, "", err
	}
	return client.New(server, client.WithToken(tok), client.WithUserAgent("gatehouse-cli")), src, nil
}

// apiError turns a client error into the terminal's message: the API's description and code.
func apiError(err error) error {
	var e *client.Error
	if errors.As(err, &e) {
		msg := e.Description
		if msg == "" {
			msg = fmt.Sprintf("the server answered HTTP %d", e.Status)
		}
		if e.RequestID != "" {
			return fmt.Errorf("%s (%s, request %s)", msg, e.Code, e.RequestID)
		}
		return fmt.Errorf("%s (%s)", msg, e.Code)
	}
	return err
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// listJSON is the API's list envelope, for --json output of lists.
type listJSON[T any] struct {
	Data []T `json:"data"`
}

// table writes aligned columns for people.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// when formats a time for tables.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// whenOr formats an optional time, none when it is nil.
func whenOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return when(*t)
}

// joinList formats a list of strings for tables.
func joinList(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ",")
}

// printSecret prints a secret once, labelled, on standard output only.
func printSecret(w io.Writer, label, secret string) {
	fmt.Fprintf(w, "\n%s (shown only once; store it now):\n%s\n", label, secret)
}
