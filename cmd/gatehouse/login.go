package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/client"
)

// `gatehouse login`: the OAuth 2.0 device authorization grant (RFC 8628) with the built-in public
// client gatehouse-cli, through golang.org/x/oauth2; the endpoints come from the server's
// discovery document. The stored credential (credentials.go) is then used by every API command.

const (
	cliClientID = "gatehouse-cli"
	// refreshBefore is how long before its expiry an access token is refreshed.
	refreshBefore = time.Minute
	// oauthTimeout bounds each request to the OAuth endpoints.
	oauthTimeout = 30 * time.Second
)

// cliScopes are the scopes the CLI asks for: who the person is, and a refresh token.
var cliScopes = []string{"openid", "profile", "email", "offline_access"}

// oauthEndpoints are the parts of the discovery document the CLI uses.
type oauthEndpoints struct {
	Issuer                      string `json:"issuer"`
	TokenEndpoint               string `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	RevocationEndpoint          string `json:"revocation_endpoint"`
}

// oauthContext carries the HTTP client x/oauth2 uses (with a timeout).
func oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: oauthTimeout})
}

// discover reads {server}/.well-known/openid-configuration.
func discover(ctx context.Context, server string) (*oauthEndpoints, error) {
	u := normalizeServer(server) + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", server, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := (&http.Client{Timeout: oauthTimeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", server, unwrapURL(err))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", server, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery of %s: the server answered HTTP %d (is it a Gatehouse with OAuth?)", server, res.StatusCode)
	}
	var ep oauthEndpoints
	if err := json.Unmarshal(body, &ep); err != nil {
		return nil, fmt.Errorf("discovery of %s: the answer is not JSON: %w", server, err)
	}
	if ep.TokenEndpoint == "" {
		return nil, fmt.Errorf("discovery of %s: no token_endpoint", server)
	}
	return &ep, nil
}

// unwrapURL drops *url.Error's repetition of the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// cliOAuthConfig is the x/oauth2 configuration of the public client gatehouse-cli.
func cliOAuthConfig(ep *oauthEndpoints) *oauth2.Config {
	return &oauth2.Config{
		ClientID: cliClientID,
		Scopes:   cliScopes,
		Endpoint: oauth2.Endpoint{
			TokenURL:      ep.TokenEndpoint,
			DeviceAuthURL: ep.DeviceAuthorizationEndpoint,
			AuthStyle:     oauth2.AuthStyleInParams, // a public client: client_id in the form, no secret
		},
	}
}

// oauthError turns an x/oauth2 error into the terminal's message, without the response body.
func oauthError(what string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch {
		case re.ErrorCode != "" && re.ErrorDescription != "":
			return fmt.Errorf("%s: %s (%s)", what, re.ErrorDescription, re.ErrorCode)
		case re.ErrorCode != "":
			return fmt.Errorf("%s: %s", what, re.ErrorCode)
		case re.Response != nil:
			return fmt.Errorf("%s: the server answered HTTP %d", what, re.Response.StatusCode)
		}
	}
	return fmt.Errorf("%s: %w", what, unwrapURL(err))
}

// retrieveErrorCode is the OAuth error code of err, "" when it is not an OAuth error answer.
func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func newLoginCommand() *cobra.Command {
	var server string
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "login [--server URL]",
		Short: "Sign the command line in to a Gatehouse server (device flow in your browser)",
		Long: `Sign the command line in to a Gatehouse server with the OAuth device flow: the command
prints a one-time code and a URL, opens your browser when it can, and waits until you approve
the request there. The credential is stored, readable by you only, in the gatehouse folder of
your config folder (override with GATEHOUSE_CONFIG_DIR), one per server; the API commands
(tokens, agents, api-keys, whoami) then use it when neither --token nor GATEHOUSE_TOKEN is
given, refreshing it as needed.

The server is --server, else GATEHOUSE_SERVER, else the only server you are signed in to, else
` + defaultServer + `. Set BROWSER=none (or pass --no-browser) to never open a browser.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openCredentialStore()
			if err != nil {
				return err
			}
			srv := resolveServer(server, store)
			return runLogin(cmd, store, srv, noBrowser)
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "Gatehouse base URL (env GATEHOUSE_SERVER)")
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "do not open a browser; print the URL only")
	return cmd
}

func runLogin(cmd *cobra.Command, store *credentialStore, server string, noBrowser bool) error {
	ctx := cmd.Context()
	msg := cmd.ErrOrStderr() // the conversation; standard output gets the result only
	ep, err := discover(ctx, server)
	if err != nil {
		return err
	}
	if ep.DeviceAuthorizationEndpoint == "" {
		return fmt.Errorf("%s does not offer the device flow (no device_authorization_endpoint)", server)
	}
	cfg := cliOAuthConfig(ep)
	octx := oauthContext(ctx)
	da, err := cfg.DeviceAuth(octx)
	if err != nil {
		return oauthError("starting the sign-in", err)
	}
	fmt.Fprintf(msg, "! First copy your one-time code: %s\n", da.UserCode)
	fmt.Fprintf(msg, "  Then open %s in your browser and approve the request.\n", da.VerificationURI)
	open := da.VerificationURIComplete
	if open == "" {
		open = da.VerificationURI
	}
	if !noBrowser && isTerminal(msg) && os.Getenv("BROWSER") != "none" {
		if err := openBrowser(open); err != nil {
			fmt.Fprintf(msg, "  (could not open a browser: %v; open the URL yourself)\n", err)
		} else {
			fmt.Fprintln(msg, "  Opened your browser.")
		}
	}
	stop := startSpinner(msg, "Waiting for approval in the browser…")
	tok, err := cfg.DeviceAccessToken(octx, da)
	stop()
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded) || retrieveErrorCode(err) == "expired_token":
			return errors.New("the one-time code expired before it was approved; run gatehouse login again")
		case retrieveErrorCode(err) == "access_denied":
			return errors.New("the sign-in request was denied")
		case errors.Is(err, context.Canceled):
			return errors.New("sign-in cancelled")
		}
		return oauthError("signing in", err)
	}
	cred := credentialFromToken(server, tok)
	previous, _ := store.get(server)
	if err := store.put(cred); err != nil {
		return err
	}
	if previous != nil && previous.RefreshToken != cred.RefreshToken {
		_ = revokeStored(ctx, previous) // signing in again ends the replaced sign-in; best effort
	}
	out := cmd.OutOrStdout()
	me, err := client.New(server, client.WithToken(cred.AccessToken), client.WithUserAgent("gatehouse-cli")).Me(ctx)
	if err != nil {
		fmt.Fprintf(out, "Signed in to %s (the profile could not be read: %v).\n", server, apiError(err))
		return nil
	}
	fmt.Fprintf(out, "Signed in to %s as %s.\n", server, me.Username)
	return nil
}

// credentialFromToken is what is stored of a token response.
func credentialFromToken(server string, tok *oauth2.Token) storedCredential {
	tt := tok.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	return storedCredential{
		Server:       normalizeServer(server),
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry.UTC(),
		TokenType:    tt,
	}
}

// needsRefresh reports whether c's access token has expired or expires within refreshBefore.
func (c *storedCredential) needsRefresh(now time.Time) bool {
	return !c.Expiry.IsZero() && !now.Before(c.Expiry.Add(-refreshBefore))
}

// freshAccessToken returns a usable access token for server from the store, refreshing it with
// its refresh token when needed. The rotated pair is stored before the access token is used:
// refresh tokens are single use, and presenting an old one again revokes the whole family.
// The store's lock keeps concurrent commands from refreshing with the same token.
func freshAccessToken(ctx context.Context, store *credentialStore, server string, now func() time.Time) (string, error) {
	c, err := store.get(server)
	if err != nil || c == nil {
		return "", err
	}
	if !c.needsRefresh(now()) {
		return c.AccessToken, nil
	}
	unlock, err := store.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another command may have refreshed while this one waited for the lock.
	if c, err = store.get(server); err != nil || c == nil {
		return "", err
	}
	if !c.needsRefresh(now()) {
		return c.AccessToken, nil
	}
	if c.RefreshToken == "" {
		return "", fmt.Errorf("your sign-in to %s has expired; run gatehouse login --server %s", server, server)
	}
	ep, err := discover(ctx, server)
	if err != nil {
		return "", err
	}
	cfg := cliOAuthConfig(ep)
	// An oauth2.Token without an access token is never valid: the source refreshes at once.
	tok, err := cfg.TokenSource(oauthContext(ctx), &oauth2.Token{RefreshToken: c.RefreshToken}).Token()
	if err != nil {
		if code := retrieveErrorCode(err); code == "invalid_grant" || code == "invalid_client" {
			return "", fmt.Errorf("your sign-in to %s has expired or was revoked; run gatehouse login --server %s", server, server)
		}
		return "", oauthError("refreshing your sign-in", err)
	}
	next := credentialFromToken(server, tok)
	if next.RefreshToken == "" {
		next.RefreshToken = c.RefreshToken // a server that does not rotate keeps the old one valid
	}
	if err := store.put(next); err != nil {
		return "", fmt.Errorf("storing the refreshed sign-in (run gatehouse login again): %w", err)
	}
	return next.AccessToken, nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openBrowser opens an http(s) URL with $BROWSER or the platform's opener, without waiting.
func openBrowser(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("the server's verification URL is not an http(s) URL")
	}
	var c *exec.Cmd
	switch b := os.Getenv("BROWSER"); {
	case b != "":
		c = exec.Command(b, u.String())
	case runtime.GOOS == "darwin":
		c = exec.Command("open", u.String())
	case runtime.GOOS == "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", u.String())
	default:
		c = exec.Command("xdg-open", u.String())
	}
	if err := c.Start(); err != nil {
		return err
	}
	go c.Wait() //nolint:errcheck // reap the opener; its exit status does not matter
	return nil
}

// startSpinner shows progress while the command waits: a spinner on a terminal, one line
// otherwise. The returned function stops it and clears the line.
func startSpinner(w io.Writer, label string) func() {
	if !isTerminal(w) {
		fmt.Fprintln(w, label)
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r%s %s", frames[i%len(frames)], label)
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// resolveServer is flag, else GATEHOUSE_SERVER, else the only server with a stored sign-in,
// else defaultServer.
func resolveServer(flag string, store *credentialStore) string {
	if flag != "" {
		return normalizeServer(flag)
	}
	if v := os.Getenv("GATEHOUSE_SERVER"); v != "" {
		return normalizeServer(v)
	}
	if store != nil {
		if servers, err := store.servers(); err == nil && len(servers) == 1 {
			return servers[0]
		}
	}
	return defaultServer
}
