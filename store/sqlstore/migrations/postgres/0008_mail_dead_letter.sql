-- 0008: dead letters. A mail the outbox gave up on (too many failed attempts, or too old to be
-- worth sending: its links have expired) gets failed_at and is never claimed again; it stays
-- for inspection. The due index leaves dead mails out.
ALTER TABLE outbox_mails ADD COLUMN failed_at timestamptz;

DROP INDEX outbox_mails_due;
CREATE INDEX outbox_mails_due ON outbox_mails (next_attempt_at, created_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
