-- One row per follower transaction (a group of source transactions): which source transactions
-- it applied. Read-your-writes tokens name their transaction by xid: a follower satisfies a token
-- when a group after the token's LSN lists its xid. Written in the same follower transaction as
-- the rows and the watermark; rows older than an hour are pruned by the applier.
CREATE TABLE applied_group (
    source           text     NOT NULL,
    last_commit_lsn  pg_lsn   NOT NULL,
    first_commit_lsn pg_lsn   NOT NULL,
    xids             bigint[] NOT NULL,
    applied_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (source, last_commit_lsn)
);
