package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// groupCommit runs small write steps submitted concurrently on the writer connection in shared
// transactions: group commit. One goroutine (the group writer) takes a step, then every step
// already waiting, up to maxGroup (it never waits for more: while it commits, new steps queue,
// and the next group is whatever queued meanwhile); it runs them one after the other in ONE
// BEGIN IMMEDIATE transaction, each inside its own SAVEPOINT, commits once (one fsync for the
// group under synchronous=FULL) and only then answers each caller.
//
// The contract of do, for a step fn:
//   - fn runs as if alone in a transaction that sees every earlier step of its group: steps
//     are serialised exactly as separate transactions on the single writer would be, so "of
//     concurrent single-use steps exactly one wins" holds within a group as across groups.
//   - fn returning an error rolls back its own writes only (ROLLBACK TO its savepoint); the
//     other steps of the group stand. A step that must write and still answer an error (a
//     refresh token reuse revokes the family, then answers CodeConflict) returns nil and keeps
//     its answer in its closure, as with inTx.
//   - No caller is answered before the group's COMMIT returned: a success is durable when
//     reported. When the group cannot begin or commit, or its transaction breaks (a savepoint
//     cannot be rolled back), every caller of the group gets an error: nothing is half-answered,
//     and no answer read from uncommitted state (say not found because an earlier step of the
//     group revoked a family) leaks out.
//   - fn runs with the caller's values but not its cancellation (context.WithoutCancel): an
//     interrupted statement would roll back the whole shared transaction. A caller whose ctx
//     ends before its step started gets ctx.Err() and its step never runs; once its step has
//     started, the caller waits for the group's answer, which stands.
//
// It holds the writer connection for a whole group, so other writes of the store wait for at
// most one group (maxGroup steps and one commit). Any hot single-row write of the store whose
// step is a function of a *sql.Tx can use it; today only RotateRefreshToken does.
type groupCommit struct {
	s        *Store // its writer runs the groups; its write counter moves after each group
	db       *sql.DB
	maxGroup int
	submit   chan *groupJob // unbuffered: a send succeeds when the writer takes the job
	quit     chan struct{}  // closed by stop
	exited   chan struct{}  // closed when the writer has returned
	stopOnce sync.Once

	// commit commits a group's transaction: (*sql.Tx).Commit, replaced by tests to make a
	// commit fail (the replacement must end tx, e.g. roll it back).
	commit func(tx *sql.Tx) error
}

// groupStep is one step of a group: its writes in tx, which it must neither commit nor roll
// back.
type groupStep func(ctx context.Context, tx conn) error

// The states of a groupJob: queued until the writer claims it to run its step, or until its
// caller abandons it (ctx ended first). Exactly one of the two transitions happens.
const (
	jobQueued int32 = iota
	jobClaimed
	jobAbandoned
)

// groupJob is one submitted step and the way back to its caller.
type groupJob struct {
	ctx    context.Context
	step   groupStep
	state  atomic.Int32
	result error      // the step's own answer (the writer's only)
	answer chan error // buffered (1): the writer never blocks on an abandoned job
}

func newGroupJob(ctx context.Context, step groupStep) *groupJob {
	return &groupJob{ctx: ctx, step: step, answer: make(chan error, 1)}
}

// newGroupCommit starts the group writer on the store's writer connection; stop ends it.
func newGroupCommit(s *Store, maxGroup int) *groupCommit {
	g := &groupCommit{
		s:        s,
		db:       s.w,
		maxGroup: max(1, maxGroup),
		submit:   make(chan *groupJob),
		quit:     make(chan struct{}),
		exited:   make(chan struct{}),
		commit:   (*sql.Tx).Commit,
	}
	go g.run()
	return g
}

// do runs step in the next group and returns its answer once the group committed (see the
// type's contract).
func (g *groupCommit) do(ctx context.Context, step groupStep) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := newGroupJob(ctx, step)
	select {
	case g.submit <- j:
	case <-g.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.wait(ctx, j)
}

// wait returns j's answer, or ctx.Err() when ctx ends before the writer claimed j.
func (g *groupCommit) wait(ctx context.Context, j *groupJob) error {
	select {
	case err := <-j.answer:
		return err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
		return <-j.answer // it ran (or is running): its answer stands
	}
}

// stop ends the group writer after its current group; later calls of do answer errClosed.
func (g *groupCommit) stop() {
	g.stopOnce.Do(func() { close(g.quit) })
	<-g.exited
}

// run is the group writer: natural batching, one group at a time.
func (g *groupCommit) run() {
	defer close(g.exited)
	group := make([]*groupJob, 0, g.maxGroup)
	for {
		select {
		case j := <-g.submit:
			group = append(group[:0], j)
		case <-g.quit:
			return
		}
	fill:
		for len(group) < g.maxGroup {
			select {
			case j := <-g.submit:
				group = append(group, j)
			default:
				break fill
			}
		}
		g.runGroup(group)
		clear(group) // drop the references to answered jobs
	}
}

// runGroup runs the steps of group in one transaction and answers every job. It is the one
// write path of the store besides exec and inTx (writes.go), and like them it moves the
// store's write counter once the group's transaction has ended, before any answer (answer).
func (g *groupCommit) runGroup(group []*groupJob) {
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		g.fail(group, sqliteDialect.mapError(err, "begin"))
		return
	}
	for _, j := range group {
		if !j.state.CompareAndSwap(jobQueued, jobClaimed) {
			continue // abandoned: its caller has returned ctx.Err()
		}
		if err := j.ctx.Err(); err != nil {
			j.result = err // ended while queued: skipped, nothing of it runs
			continue
		}
		if err := runStep(j, tx); err != nil {
			_ = tx.Rollback()
			g.fail(group, err)
			return
		}
	}
	if err := g.commit(tx); err != nil {
		_ = tx.Rollback() // in case the failed COMMIT left it open; ErrTxDone otherwise
		g.fail(group, sqliteDialect.mapError(err, "commit"))
		return
	}
	g.s.writes.Add(1)
	for _, j := range group {
		j.answer <- j.result
	}
}

// runStep runs j's step in tx inside a savepoint and keeps its answer in j.result. It returns
// an error only when the transaction itself broke (a savepoint statement failed).
func runStep(j *groupJob, tx *sql.Tx) error {
	ctx := context.WithoutCancel(j.ctx)
	if _, err := tx.ExecContext(ctx, `SAVEPOINT group_step`); err != nil {
		return sqliteDialect.mapError(err, "savepoint")
	}
	var dirty bool // not consulted: a group always moves the count (SQLite's feed moves on every commit anyway)
	j.result = j.step(ctx, conn{reader{q: tx, d: sqliteDialect}, &dirty})
	if j.result != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO group_step`); err != nil {
			return fmt.Errorf("sqlite: group commit: roll back a failed step: %w", sqliteDialect.mapError(err, "savepoint"))
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE group_step`); err != nil {
		return sqliteDialect.mapError(err, "savepoint")
	}
	return nil
}

// fail answers every job of group with err.
func (g *groupCommit) fail(group []*groupJob, err error) {
	g.s.writes.Add(1) // the transaction ended: it may have committed (a failed COMMIT)
	for _, j := range group {
		j.answer <- err
	}
}
