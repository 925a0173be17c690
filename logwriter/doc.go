// Package logwriter is where the server's log lines go on their way to stderr: a buffer that
// writes them in batches, so that a busy server does not make a system call per request for
// its access log.
//
// The contract:
//   - Lines reach the destination in the order they were written, each whole (slog hands a
//     handler's output over one record per Write, and a record is never split across writes).
//   - A line is written at most Buffered.Every after it was buffered (100 ms by default), sooner
//     when the buffer holds MaxBuffered bytes, and at once on Flush and Close.
//   - FlushingHandler flushes after every record at slog.LevelWarn or above, so warnings and
//     errors are on their way before the call that logged them returns.
//   - What is lost when the process dies without Close (SIGKILL, a fatal runtime error): the
//     info-level lines of the last Every at most. serve closes the writer on every return path.
//   - A write error is kept and returned by the next Write, Flush and Close; the lines of the
//     failed batch are dropped (a log destination that fails is not retried forever).
package logwriter
