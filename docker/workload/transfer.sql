-- pgbench script: one transfer between two accounts (the total never changes).
\set a random(1, 100)
\set b random(1, 100)
\set amount random(1, 5000)
BEGIN;
UPDATE accounts SET balance = balance - :amount / 100.0 WHERE id = :a;
UPDATE accounts SET balance = balance + :amount / 100.0 WHERE id = :b;
INSERT INTO transfers (src, dst, amount, at) VALUES (:a, :b, :amount / 100.0, now());
UPDATE profiles SET attrs = attrs || jsonb_build_object('last', :amount), updated = now() WHERE id = :a;
COMMIT;
