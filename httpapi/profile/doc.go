// Package profile holds what the seed API profiles (the packages below it, API.md "Seed API
// profiles") share: presentation rules only, never a use case.
//
// Contract: the functions here derive values the platforms' answer shapes name and Gatehouse
// does not store (an organization's slug); they import only the standard library.
package profile
