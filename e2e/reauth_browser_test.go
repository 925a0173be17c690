package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/token"
)

// TestReauthDialogBrowser drives the account page's re-authentication in headless Chromium: a
// session signed in longer ago than GATEHOUSE_REAUTH_WINDOW changes its email address; the page
// asks for the password in a dialog (a wrong one is refused there), then makes the change with
// the fields first sent. SQLite only: the page is the same on both backends.
func TestReauthDialogBrowser(t *testing.T) {
	ctx := headlessChromium(t)
	s, in := startWithMail(t, backends()[0].dbURL(t), nil)
	base := s.base
	browse(t, ctx, "register",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(`form[action="/register"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "reauth_rae", chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "rae@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
	)
	// The sign-in was an hour ago, as far as the session knows.
	cookie := mustSessionCookie(t, browserCookies(t, ctx, base))
	sess, _, err := s.m.Store.SessionByTokenHash(context.Background(), token.Hash(cookie.Value))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.m.Store.ReauthenticateSession(context.Background(), sess.ID, time.Now().Add(-time.Hour), []string{"pwd"}); err != nil {
		t.Fatal(err)
	}

	in.code("rae@example.com") // the sign-up's code
	var hint, failure, location, email, pending string
	browse(t, ctx, "change the email: the dialog opens",
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.Clear(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "rae.new@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#display_name`, "Rae", chromedp.ByQuery),
		chromedp.Click(`form[action="/account/profile"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#reauth-dialog`, chromedp.ByQuery),
		chromedp.Text(`#reauth-hint`, &hint, chromedp.ByQuery),
	)
	if !strings.Contains(hint, "recent sign-in") {
		t.Fatalf("dialog hint %q", hint)
	}
	if u := s.me(cookie.Value); u["email"] != "rae@example.com" {
		t.Fatalf("the address changed before re-authentication: %v", u["email"])
	}
	saveScreenshot(t, ctx, "account-reauth-dialog")
	browse(t, ctx, "a wrong password stays in the dialog",
		chromedp.SendKeys(`#reauth-password`, "not the password", chromedp.ByQuery),
		chromedp.Click(`#reauth-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#reauth-error`, chromedp.ByQuery),
		chromedp.Text(`#reauth-error`, &failure, chromedp.ByQuery),
	)
	if failure == "" {
		t.Fatal("no error shown for a wrong password")
	}
	browse(t, ctx, "the right password asks for the change",
		chromedp.SendKeys(`#reauth-password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`#reauth-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
		chromedp.Location(&location),
		chromedp.Text(`#profile-email`, &email, chromedp.ByQuery),
		chromedp.Text(`#profile-pending-email`, &pending, chromedp.ByQuery),
	)
	if location != base+"/account?email=pending" {
		t.Fatalf("after re-authentication at %s", location)
	}
	// The change waits for the code mailed to the new address; the other field is saved.
	u := s.me(cookie.Value)
	if u["display_name"] != "Rae" || u["email"] != "rae@example.com" || !strings.Contains(email, "rae@example.com") || !strings.Contains(pending, "rae.new@example.com") {
		t.Fatalf("after re-authentication: %v (page shows %q, pending %q)", u, email, pending)
	}
	saveScreenshot(t, ctx, "account-email-pending")
	code := in.code("rae.new@example.com")
	browse(t, ctx, "type the code",
		chromedp.Click(`#profile-pending-email a[href="/verify-email"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#pending-email`, chromedp.ByQuery),
		chromedp.SendKeys(`#code`, code, chromedp.ByQuery),
		chromedp.Click(`form[action="/verify-email"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.notice`, chromedp.ByQuery),
	)
	if u := s.me(cookie.Value); u["email"] != "rae.new@example.com" || u["email_verified"] != true {
		t.Fatalf("after the code: %v", u)
	}
	var dialogs int
	browse(t, ctx, "no dialog any more", chromedp.Evaluate(`document.querySelectorAll("#reauth-dialog").length`, &dialogs))
	if dialogs != 0 {
		t.Fatal("the dialog is still shown")
	}
}
