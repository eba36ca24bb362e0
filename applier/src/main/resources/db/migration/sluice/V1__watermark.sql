-- Sluice applier bookkeeping, in its own schema on the follower.
-- One row per source: the last source transaction applied, written in the same follower
-- transaction as that transaction's rows. The follower's watermark is the truth; Kafka offsets
-- are only a hint.
CREATE TABLE watermark (
    source        text        PRIMARY KEY,
    commit_lsn    pg_lsn      NOT NULL,
    xid           bigint      NOT NULL,
    commit_time   timestamptz NOT NULL,
    stream_offset bigint      NOT NULL,
    applied_at    timestamptz NOT NULL,
    transactions  bigint      NOT NULL DEFAULT 0
);

-- Transactions skipped on explicit operator request (never silently).
CREATE TABLE skipped_transaction (
    source      text        NOT NULL,
    commit_lsn  pg_lsn      NOT NULL,
    xid         bigint      NOT NULL,
    reason      text        NOT NULL,
    skipped_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, commit_lsn)
);
