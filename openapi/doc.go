// Package openapi writes the OpenAPI 3.1 document of an HTTP API from a table of operations
// and the Go types of their bodies.
//
// Contract:
//   - The document is derived, not written twice: request and answer schemas come from the Go
//     types the server encodes and decodes (Operation.Request, Response.Body), the way
//     encoding/json treats them — json tags name the members, a member without omitempty is
//     required, a pointer, map or interface member without omitempty may be null, time.Time is
//     a date-time string, a slice is an array (never null: the server writes [], unless the field is tagged
//     openapi:"nullable", where null means something). Where a Go
//     type cannot say enough (OAuth answers whose members depend on the grant), a hand-written
//     schema (Raw, Named) is given instead.
//   - Objects derived from structs admit no other members (additionalProperties false), so a
//     test that validates real answers against the document fails on an undocumented field.
//   - Every operation's 4XX and 5XX answers are the error shape (Info.Error); a status the
//     operation does not list is not in the document.
//   - It imports only the standard library; the caller (package httpapi) owns the table and
//     checks that it lists exactly the registered routes.
package openapi
