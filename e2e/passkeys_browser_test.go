package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/config"
)

// startOnLocalhost starts a server whose public URL is http://localhost:PORT, as WebAuthn needs
// a host name for the relying-party ID. The port must be known before the server starts (it is
// part of the public URL), so a free one is found by listening on 127.0.0.1:0 and closing; if
// another process takes it in between, the next free port is tried.
func startOnLocalhost(t *testing.T, dbURL string) *server {
	t.Helper()
	var lastErr error
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		// Check the port is still free just before starting: start() fails the test otherwise.
		probe, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			lastErr = err
			continue
		}
		probe.Close()
		s := start(t, dbURL, func(c *config.Config) {
			c.Addr = fmt.Sprintf("127.0.0.1:%d", port)
			u, err := url.Parse(fmt.Sprintf("http://localhost:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			c.PublicURL = u
		})
		s.base = fmt.Sprintf("http://localhost:%d", port)
		return s
	}
	t.Fatalf("no free port for the server: %v", lastErr)
	return nil
}

// TestPasskeysBrowser drives the passkey pages in headless Chromium with the DevTools WebAuthn
// virtual authenticator (CTAP2, internal, resident keys, user verification): register, add a
// passkey on /account/passkeys, sign out, sign in with the passkey button on /login and land
// signed in. SQLite only: the API is covered on both backends by TestPasskeysAPI.
func TestPasskeysBrowser(t *testing.T) {
	ctx := headlessChromium(t)
	s := startOnLocalhost(t, backends()[0].dbURL(t))
	base := s.base
	username := "pk_" + randomSuffix()

	var authenticator webauthn.AuthenticatorID
	browse(t, ctx, "add a virtual authenticator",
		webauthn.Enable(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			authenticator, err = webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			}).Do(ctx)
			return err
		}),
	)

	browse(t, ctx, "register",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(`form[action="/register"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
	)

	var notice, name, location string
	browse(t, ctx, "add a passkey on /account/passkeys",
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.WaitVisible(`#tab-passkeys[aria-current="page"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#no-passkeys`, chromedp.ByQuery),
		chromedp.WaitVisible(`#passkey-add-button`, chromedp.ByQuery), // shown by passkey.js
		chromedp.SendKeys(`#passkey-name`, "headless", chromedp.ByQuery),
		chromedp.Click(`#passkey-add-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#passkey-list`, chromedp.ByQuery),
		chromedp.Text(`#notice`, &notice, chromedp.ByQuery),
		chromedp.Text(`#passkey-list .item-name`, &name, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if name != "headless" || !strings.Contains(notice, "added") || location != base+"/account/passkeys?added=1" {
		t.Fatalf("after adding: at %s, passkey %q, notice %q", location, name, notice)
	}
	var creds []*webauthn.Credential
	browse(t, ctx, "read the authenticator", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		creds, err = webauthn.GetCredentials(authenticator).Do(ctx)
		return err
	}))
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("authenticator holds %+v, want one resident credential for localhost", creds)
	}
	saveScreenshot(t, ctx, "account-passkeys")

	browse(t, ctx, "sign out",
		chromedp.Navigate(base+"/logout"),
		chromedp.Click(`#sign-out`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
	)
	if _, ok := browserCookies(t, ctx, base)["gatehouse_session"]; ok {
		t.Fatal("still holding a session cookie after signing out")
	}

	var shownUser string
	browse(t, ctx, "open /login",
		chromedp.Navigate(base+"/login?next=/account/passkeys"),
		chromedp.WaitVisible(`#passkey-signin-button`, chromedp.ByQuery), // shown by passkey.js
	)
	saveScreenshot(t, ctx, "login-passkey")
	browse(t, ctx, "sign in with the passkey button",
		chromedp.Click(`#passkey-signin-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
		chromedp.Text(`#signed-in-user`, &shownUser, chromedp.ByQuery),
		chromedp.Location(&location),
		chromedp.WaitVisible(`#passkey-list`, chromedp.ByQuery),
	)
	if shownUser != username || location != base+"/account/passkeys" {
		t.Fatalf("after the passkey sign-in: at %s as %q, want %s as %s", location, shownUser, base+"/account/passkeys", username)
	}
	var lastUsed string
	browse(t, ctx, "read the last use", chromedp.Text(`#passkey-list .meta div:nth-child(2) dd`, &lastUsed, chromedp.ByQuery))
	if lastUsed == "never" {
		t.Errorf("the passkey's last use is %q after signing in with it", lastUsed)
	}

	// The list's forms (no JavaScript involved): rename, then delete.
	browse(t, ctx, "rename the passkey",
		chromedp.Evaluate(`document.querySelector('#passkey-list input[name="name"]').value = ""`, nil),
		chromedp.SendKeys(`#passkey-list input[name="name"]`, "renamed", chromedp.ByQuery),
		chromedp.Click(`#passkey-list button[aria-label^="Rename"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
		chromedp.Text(`#passkey-list .item-name`, &name, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if name != "renamed" || location != base+"/account/passkeys?renamed=1" {
		t.Fatalf("after renaming: at %s, passkey %q", location, name)
	}
	browse(t, ctx, "delete the passkey",
		chromedp.Click(`#passkey-list button[aria-label^="Delete"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#no-passkeys`, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if location != base+"/account/passkeys?deleted=1" {
		t.Fatalf("after deleting: at %s", location)
	}
}
