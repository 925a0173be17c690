-- 0013: where the account's plan comes from (GET /v1/me/account's plan_source; `gatehouse admin
-- set-plan`), 'free' until an operator sets another.
ALTER TABLE users ADD COLUMN plan_source text NOT NULL DEFAULT 'free';
