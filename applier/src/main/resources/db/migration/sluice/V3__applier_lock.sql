-- Who applies a source to this follower. One row per source; its lock_id keys the PostgreSQL
-- advisory lock an applier holds for its whole life (pg_try_advisory_lock(<applier class>, lock_id)
-- on a connection of its own), so a second applier for the same source is refused at start. The
-- holder columns are written by the applier that holds the lock, so a refused one can name it.
CREATE TABLE applier_lock (
    source      text        PRIMARY KEY,
    lock_id     integer     GENERATED ALWAYS AS IDENTITY UNIQUE,
    follower    text,
    host        text,
    pid         bigint,
    since       timestamptz
);
