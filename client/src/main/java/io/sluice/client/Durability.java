package io.sluice.client;

/**
 * How many followers must have applied a write before {@link SluiceClient#commit(java.sql.Connection,
 * Durability, java.time.Duration)} returns. Sluice's levels, next to PostgreSQL's:
 * <ul>
 *   <li>{@link #ASYNC} — return at the primary's commit ({@code synchronous_commit = local});</li>
 *   <li>{@link #quorum(int) QUORUM(k)} — visible on any k of the sync followers
 *       ({@code remote_apply} with {@code ANY k (…)});</li>
 *   <li>{@link #ALL} — visible on every sync follower ({@code remote_apply} with
 *       {@code FIRST n (all n)}).</li>
 * </ul>
 * Unlike PostgreSQL, the primary has committed before Sluice sees the write: a timeout cannot
 * undo it, only report it (see {@link SyncTimeoutException}).
 */
public record Durability(Kind kind, int count) {

    public enum Kind { ASYNC, QUORUM, ALL }

    public static final Durability ASYNC = new Durability(Kind.ASYNC, 0);
    public static final Durability ALL = new Durability(Kind.ALL, 0);

    public Durability {
        if (kind == Kind.QUORUM && count < 1) {
            throw new IllegalArgumentException("QUORUM needs at least 1 follower, was " + count);
        }
    }

    public static Durability quorum(int k) {
        return new Durability(Kind.QUORUM, k);
    }

    @Override
    public String toString() {
        return kind == Kind.QUORUM ? "QUORUM(" + count + ")" : kind.name();
    }
}
