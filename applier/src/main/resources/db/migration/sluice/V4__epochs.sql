-- Epochs (log-format/FORMAT.md, "Epochs"; docs/failover.md). The watermark's epoch: its commit_lsn
-- is a position of that epoch's primary. At a promotion marker the watermark records the follower
-- promoted and the cluster it is, and fork_lsn, the last commit of the previous epoch before the
-- marker (the same on every follower: what the old primary committed after it is lost).
ALTER TABLE watermark
    ADD COLUMN epoch                   bigint NOT NULL DEFAULT 0,
    ADD COLUMN epoch_follower          text,
    ADD COLUMN epoch_primary_system_id text,
    ADD COLUMN fork_lsn                pg_lsn;

-- The latest sequence state capture sent (FORMAT.md, "Sequences"), kept with the rows it came
-- after, for a promotion of this follower to set every sequence past what the old primary handed out.
CREATE TABLE sequence_state (
    source        text        PRIMARY KEY,
    state         bytea       NOT NULL,
    stream_offset bigint      NOT NULL,
    kept_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
