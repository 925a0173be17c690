// Package apiwire holds the JSON shapes of Gatehouse's HTTP API that the server writes and the
// SDK reads; changing a field here changes the API.
//
// The server (package httpapi) builds these types for its answers and decodes request bodies
// into them; the Go SDK (package client) re-exports them as type aliases and decodes the
// server's answers into them, so one definition describes each shape on both sides. Field
// names, order, types and `json` tags are the API: the server's output must stay byte-for-byte
// what clients already read (e2e's TestWireShapes records every answer's shape and fails when a
// field is renamed, added, dropped or changes its JSON type).
//
// Request bodies carry omitempty on their optional fields: it shapes only what the SDK sends
// (the server decodes a missing field and its zero value alike). The /v1/verify answer has two
// shapes, VerifyValid and VerifyFailure, which the server writes directly (no custom marshaler
// on its hottest path); the SDK reads either into Verification.
//
// The package imports only the standard library, so the SDK still pulls in nothing else.
package apiwire
