// Package config loads, validates and documents the server configuration of Gatehouse.
//
// Every setting has an environment variable (GATEHOUSE_*, the names of DESIGN.md's
// "Configuration" table) and a command-line flag of the same name in kebab case
// (GATEHOUSE_PUBLIC_URL ↔ --public-url), registered by BindFlags so that
// `gatehouse serve --help` lists them all with their defaults.
//
// Contract:
//   - Precedence: a flag set on the command line, then the environment, then the default.
//   - An empty value means the default, except GATEHOUSE_DEFAULT_ORG, where it means "no default
//     organization".
//   - Load reads the environment from the slice it is given (os.Environ() in main, a literal in
//     tests); it never reads the process environment itself.
//   - Load reports every invalid value at once: the error is a *ValidationError with one Problem
//     per setting, and its message puts each problem on its own line, naming the variable (or the
//     flag, when the value came from one) and the offending value.
//   - Secrets are never echoed: GATEHOUSE_SECRET_KEY and GATEHOUSE_GOOGLE_CLIENT_SECRET are shown
//     without their value, and URLs are shown with their userinfo password and any password,
//     secret or token parameters replaced by "xxxxx".
//   - Load ignores GATEHOUSE_* variables that are no setting; UnknownVariables lists them (a
//     typo would otherwise go unnoticed) and ClosestVariable names the setting each was probably
//     meant to be. Warnings lists valid settings that deserve attention. `gatehouse serve` logs
//     both as warnings before it starts.
//   - A *Config returned by Load has passed Validate. Validate can also check a Config built in
//     code (tests, embedding).
//
// The package only parses and checks; it opens no database, socket or mail connection. The one
// exception is GATEHOUSE_SECRET_SCANNING_KEYS, which must name an existing regular file.
package config
