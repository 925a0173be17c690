package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gatehouse-auth/gatehouse/client"
)

// Sign up, then act as the new account.
func ExampleNew() {
	ctx := context.Background()
	c := client.New(baseURL)
	s, err := c.Register(ctx, client.RegisterRequest{Username: uniqueName("ada"), Password: "correct horse battery staple"})
	if err != nil {
		log.Fatal(err)
	}
	me, err := client.New(baseURL, client.WithToken(s.Token)).Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kind:", me.Kind)
	fmt.Println("same account:", me.ID == s.User.ID)
	// Output:
	// kind: user
	// same account: true
}

// Create a personal access token limited to one scope; the secret is shown only in this answer.
func ExampleClient_CreateToken() {
	ctx := context.Background()
	c, _, err := newUser(ctx, "grace")
	if err != nil {
		log.Fatal(err)
	}
	t, err := c.CreateToken(ctx, client.CreateTokenRequest{
		Name:      "CI deploys",
		ExpiresIn: client.Expires90Days,
		Scopes:    []string{"calls:read"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("name:", t.Name)
	fmt.Println("scopes:", t.Scopes)
	fmt.Println("expires:", t.ExpiresAt != nil)

	tokens, err := c.ListTokens(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listed:", len(tokens), "secret listed:", tokens[0].Prefix == t.Token)
	// Output:
	// name: CI deploys
	// scopes: [calls:read]
	// expires: true
	// listed: 1 secret listed: false
}

// Ask Gatehouse about a credential, as a resource server holding an API key with the scope
// gatehouse:verify.
func ExampleClient_Verify() {
	ctx := context.Background()
	user, _, err := newUser(ctx, "linus")
	if err != nil {
		log.Fatal(err)
	}
	pat, err := user.CreateToken(ctx, client.CreateTokenRequest{Name: "reader", ExpiresIn: client.Expires30Days, Scopes: []string{"calls:read"}})
	if err != nil {
		log.Fatal(err)
	}
	verifier := client.New(baseURL, client.WithToken(verifyKey))
	for _, scope := range []string{"calls:read", "calls:write"} {
		v, err := verifier.Verify(ctx, client.VerifyRequest{Token: pat.Token, Scopes: []string{scope}, IP: "203.0.113.7"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: valid: %v code: %q kind: %q\n", scope, v.Valid, v.Code, v.Kind)
	}
	// Output:
	// calls:read: valid: true code: "" kind: "pat"
	// calls:write: valid: false code: "insufficient_permissions" kind: ""
}

// Protect a resource server: only requests whose bearer credential holds calls:read reach the
// handler, which finds the verified principal in its context.
func ExampleClient_Middleware() {
	ctx := context.Background()
	gatehouse := client.New(baseURL, client.WithToken(verifyKey)) // an API key with gatehouse:verify
	protected := gatehouse.Middleware(client.RequireScopes("calls:read"))

	api := protected(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := client.VerificationFrom(r.Context())
		fmt.Fprintf(w, "hello %s, scopes: %v", v.Kind, v.Scopes)
	}))
	srv := httptest.NewServer(api)
	defer srv.Close()

	user, _, err := newUser(ctx, "barbara")
	if err != nil {
		log.Fatal(err)
	}
	pat, err := user.CreateToken(ctx, client.CreateTokenRequest{Name: "reader", ExpiresIn: client.Expires30Days, Scopes: []string{"calls:read"}})
	if err != nil {
		log.Fatal(err)
	}
	call := func(credential string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if credential != "" {
			req.Header.Set("Authorization", "Bearer "+credential)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Printf("%d %s\n", res.StatusCode, firstLine(body))
	}
	call(pat.Token)
	call("")
	if err := user.RevokeToken(ctx, pat.ID); err != nil {
		log.Fatal(err)
	}
	call(pat.Token) // revoked: refused on the very next request
	// Output:
	// 200 hello pat, scopes: [calls:read]
	// 401 {"error":"invalid_token","error_description":"A bearer credential is required.","request_id":""}
	// 401 {"error":"invalid_token","error_description":"The access token is invalid.","request_id":""}
}

// Match API errors by their stable code.
func ExampleIsCode() {
	ctx := context.Background()
	_, err := client.New(baseURL, client.WithToken("not-a-token")).Me(ctx)
	fmt.Println("invalid token:", client.IsCode(err, client.CodeInvalidToken))

	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println("status:", e.Status)
	}
	fmt.Println("errors.Is:", errors.Is(err, &client.Error{Code: client.CodeInvalidToken}))
	// Output:
	// invalid token: true
	// status: 401
	// errors.Is: true
}

func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}
