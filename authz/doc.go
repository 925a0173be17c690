// Package authz is Gatehouse's one authorization layer: which credential may do what in
// Gatehouse's own API.
//
// Authentication (package auth) answers who a request acts as; this package answers whether that
// credential may do this here. Every principal carries a Grant (its credential Kind, its scopes or
// none, whether it is recent, its authentication methods) and every route declares the
// Permission it needs when it is registered (httpapi's route table). Decide is the one pure
// function that maps Grant × Permission to allowed or to the error a caller gets
// (insufficient_permissions or reauth_required); it is table-tested over every kind and every
// permission, and the HTTP layer calls it in one place before any handler runs.
//
// Resource-level rules (the owner of this agent, an admin of this organization) stay in the use
// cases, behind the same error codes.
//
// The package imports the standard library and the root package's error type only.
package authz
