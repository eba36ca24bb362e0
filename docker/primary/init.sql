-- The demo schema on the primary; capture snapshots these rows, then streams the workload.
CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL);
CREATE TABLE transfers (id bigserial PRIMARY KEY, src int, dst int, amount numeric(12,2), at timestamptz);
CREATE TABLE profiles (id int PRIMARY KEY, attrs jsonb, tags text[], updated timestamptz);
INSERT INTO accounts SELECT g, 'owner ' || g, 1000 FROM generate_series(1, 100) g;
INSERT INTO profiles SELECT g, jsonb_build_object('tier', g % 3), ARRAY['t' || g % 5], now() FROM generate_series(1, 100) g;
