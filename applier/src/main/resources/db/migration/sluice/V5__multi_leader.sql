-- A follower that is a leader itself (followers.<name>.conflicts): docs/multi-leader.md.

-- Every conflict the applier met, with both versions (values as PostgreSQL text), the rule and what it did.
CREATE TABLE conflict (
    id                 bigserial   PRIMARY KEY,
    detected_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    source             text        NOT NULL,
    schema_name        text        NOT NULL,
    table_name         text        NOT NULL,
    kind               text        NOT NULL,
    key                text[]      NOT NULL,
    local_row          jsonb,
    local_origin       text,
    local_commit_time  timestamptz,
    remote_row         jsonb,
    remote_origin      text        NOT NULL,
    remote_commit_time timestamptz NOT NULL,
    remote_commit_lsn  pg_lsn      NOT NULL,
    resolution         text        NOT NULL,
    outcome            text        NOT NULL,
    -- false while the application still has to settle it (keep_both); NULL when there is nothing to settle
    settled            boolean
);
CREATE INDEX conflict_source ON conflict (source, id);

-- The last delete of each key, so that an update from another leader can tell whether it came
-- before or after it. Its row version's commit timestamp and origin are the deleting transaction's.
CREATE TABLE tombstone (
    schema_name text   NOT NULL,
    table_name  text   NOT NULL,
    key         text[] NOT NULL,
    deletes     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (schema_name, table_name, key)
);

-- AFTER DELETE on each table a leader shares: the key columns are the trigger's arguments; each
-- value is kept as its type's text output, the form the stream carries.
CREATE FUNCTION keep_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k text[] := '{}';
    c text;
    v text;
BEGIN
    FOREACH c IN ARRAY TG_ARGV LOOP
        EXECUTE format('SELECT ($1).%I::text', c) INTO v USING OLD;
        k := k || v;
    END LOOP;
    INSERT INTO sluice.tombstone (schema_name, table_name, key) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, k)
        ON CONFLICT (schema_name, table_name, key) DO UPDATE SET deletes = sluice.tombstone.deletes + 1;
    RETURN OLD;
END
$$;
