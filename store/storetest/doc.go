// Package storetest is the conformance suite of gatehouse.Store (in the style of dex's
// storage/conformance). Every backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) gatehouse.Store { return openFresh(t) })
//	}
//	func TestShared(t *testing.T) {
//		storetest.RunShared(t, func(t *testing.T) storetest.Opener { ... })
//	}
//
// Run checks every method of gatehouse.Store against the rules written in the root package's
// store.go, each in its own named subtest on a fresh, empty store. RunShared checks what needs
// several stores over one database: data survives Close and reopen, two instances see each other's
// writes at once, and ClaimLoginAttempt and the unique rules hold across instances.
//
// Beyond the doc comments of store.go the suite pins down these behaviours, which both backends
// share:
//   - Create* and AppendAuditEvent assign an ID (gatehouse.NewID) when it is empty and
//     CreatedAt (time.Now) when it is zero;
//   - a reference to a missing row (membership of an unknown org, session of an unknown user)
//     is an error matching gatehouse.ErrNotFound; a duplicate ID is CodeConflict;
//   - a membership with an invalid role is rejected (CodeInvalidRequest), and so is a session
//     whose token hash is empty or longer than 64 bytes;
//   - list methods return an empty, non-nil slice when nothing matches; RevokeUserSessions of
//     an unknown user returns 0 and no error; ResetLoginAttempts of an unknown key is no error;
//   - sessions that are expired at the given time are neither listed nor revoked in bulk
//     (RevokeUserSessions, SetPassword) nor counted: only active sessions are;
//   - ClaimLoginAttempt forgets earlier failures once now >= last counted attempt + Forget;
//     Forget <= 0 never forgets; blocked claims record nothing (not even the attempt time);
//   - AuditFilter.Limit above 1000 is treated as 1000.
//
// Times in the suite have millisecond precision; stores must return them in UTC.
package storetest
