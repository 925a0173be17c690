// Package web holds Gatehouse's server-rendered pages: html/template files and static assets
// embedded in the binary. The handlers in httpapi decide what to show; this package only draws
// it, through one method of [Pages] per page with the data that page reads (as dex's templates):
// Login (LoginPage), Register, Logout, Home and Error (Page), Account (AccountPage: profile, API
// tokens, sessions, passkeys and connected-accounts tabs), the mailed-link pages VerifyEmail,
// ResetPassword and MagicLink (RecoveryPage), and the OAuth pages Consent (ConsentPage: approve or
// deny an application), Device and DeviceDone (a device-flow user code and its decision) and
// OAuthError (an authorization request that cannot go back to its client). A handler cannot give
// a page data of another shape: that is a compile error, not a template failure at run time.
//
// Contract:
//   - Every page is templates/<name>.html defining "title" and "content"; it is executed
//     through the "layout" template of templates/layout.html. Templates are parsed once, in
//     [New]; [Pages.Names] lists them, and a test renders each through its method.
//   - Every page's data embeds [Page]: Error (shown in an element with role="alert"),
//     Username, Email, DisplayName, Next (the local path the sign-in forms carry in a hidden
//     field), Status and RequestID (the error page). The handlers fill only those that apply.
//   - The page methods execute into a buffer first, so a template failure is a clean 500 error
//     page (logged), never half a page. Pages are text/html; charset=utf-8 and Cache-Control:
//     no-store (they show who is signed in and carry form state).
//   - [Pages.Static] serves static/* under /static/. Pages link assets through the template
//     function "static", which appends ?v=<content hash>; such URLs are cached for a year as
//     immutable, others are revalidated by ETag.
//   - Forms post application/x-www-form-urlencoded to the same origin with the plain field names
//     of API.md ("username", "password", "email", "display_name", "next"), labels bound to their
//     inputs and autocomplete hints for password managers. The pages use no inline style or
//     script and nothing from other origins (Content-Security-Policy: default-src 'self'), and
//     work without JavaScript. The one script, static/account.js, only adds the Copy button next
//     to a newly created token (which stays a selectable read-only field without it).
package web
