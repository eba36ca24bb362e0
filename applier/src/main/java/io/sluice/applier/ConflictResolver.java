package io.sluice.applier;

import io.sluice.format.TableId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides what a leader's row becomes when a change from another leader meets a row (or a deleted
 * key) that a third writer changed (docs/multi-leader.md). Every leader runs the same resolver on
 * the same pair of versions, so a resolver must decide alike whichever side it runs on — a function
 * of the two versions, never of which one is local — or the leaders diverge. The built-in ones are
 * {@link #LAST_WRITER_WINS}, {@link #KEEP_BOTH} and {@link #MERGE_COLUMNS}; a class of one's own is
 * named in {@code followers.<name>.conflicts = class:com.example.Resolver} (a public no-argument
 * constructor).
 */
public interface ConflictResolver {

    /** The name each conflict's log entry carries as its resolution. */
    String name();

    /** The decision for one conflict; called on the applier's follower thread, inside the follower transaction. */
    Decision resolve(Conflict conflict);

    /**
     * One conflict. Values are PostgreSQL's text forms (null for NULL); a row is empty where there
     * is none (the local side of a missing row, a delete's remote side beyond its key).
     *
     * @param kind             PostgreSQL 18's name: {@code insert_exists}, {@code update_origin_differs},
     *                         {@code update_exists}, {@code update_missing}, {@code delete_origin_differs},
     *                         {@code delete_missing};
     *                         or {@code insert_deleted} (the key was deleted here by a commit later than the insert)
     * @param local            the row here, or empty when the row is missing
     * @param localCommitTime  when the row (or, missing, its key's last delete) was committed; null when unknown
     * @param localOrigin      who committed it: a leader's source id (this leader's own name for its own writers)
     * @param remoteBefore     the remote change's old row, where the source table sends it (REPLICA IDENTITY FULL); else empty
     * @param remote           the remote change's new row (a delete: its old row)
     */
    record Conflict(String kind, TableId table, List<String> key, Map<String, String> local, Instant localCommitTime,
                    String localOrigin, Map<String, String> remoteBefore, Map<String, String> remote, Instant remoteCommitTime,
                    String remoteOrigin) {

        /**
         * Whether the remote change committed later: by commit time, then by origin name — the same
         * answer on every leader. Unknown local times (rows from before commit timestamps were
         * tracked) are older than any change.
         */
        public boolean remoteIsLater() {
            return isLater(remoteCommitTime, remoteOrigin, localCommitTime, localOrigin);
        }

        /** Whether there is a row here to merge into. */
        public boolean rowHere() {
            return !local.isEmpty();
        }
    }

    /**
     * Last writer wins' order, the one every leader applies: a commit is later than another by its
     * commit time, then by its origin's name; an unknown time ({@code otherTime} null: a row from
     * before commit timestamps were tracked) is older than any.
     */
    static boolean isLater(Instant time, String origin, Instant otherTime, String otherOrigin) {
        if (otherTime == null) {
            return true;
        }
        int byTime = time.compareTo(otherTime);
        return byTime != 0 ? byTime > 0 : origin.compareTo(Objects.requireNonNullElse(otherOrigin, "")) > 0;
    }

    /** What the row becomes. */
    enum Outcome { KEEP_LOCAL, APPLY_REMOTE, MERGE }

    /**
     * A decision: keep the local version, apply the remote change, or write {@code row} (only where
     * a row is here: {@link Conflict#rowHere()}). {@code unsettled} leaves the conflict for the
     * application to settle ({@code sluice.conflict.settled = false}).
     */
    record Decision(Outcome outcome, Map<String, String> row, boolean unsettled) {
        public static Decision keepLocal() {
            return new Decision(Outcome.KEEP_LOCAL, null, false);
        }

        public static Decision applyRemote() {
            return new Decision(Outcome.APPLY_REMOTE, null, false);
        }

        public static Decision merge(Map<String, String> row) {
            return new Decision(Outcome.MERGE, java.util.Collections.unmodifiableMap(new java.util.HashMap<>(
                    Objects.requireNonNull(row, "row"))), false);
        }

        /** The same decision, left for the application to settle. */
        public Decision unsettle() {
            return new Decision(outcome, row, true);
        }
    }

    /** The later commit wins: by commit time, then by origin name. */
    ConflictResolver LAST_WRITER_WINS = new ConflictResolver() {
        @Override
        public String name() {
            return "last_writer_wins";
        }

        @Override
        public Decision resolve(Conflict c) {
            return c.remoteIsLater() ? Decision.applyRemote() : Decision.keepLocal();
        }
    };

    /**
     * Both versions kept for the application: the row follows last writer wins (so the leaders
     * agree meanwhile) and the conflict, both versions in it, stays unsettled until the application
     * settles it.
     */
    ConflictResolver KEEP_BOTH = new ConflictResolver() {
        @Override
        public String name() {
            return "keep_both";
        }

        @Override
        public Decision resolve(Conflict c) {
            return LAST_WRITER_WINS.resolve(c).unsettle();
        }
    };

    /** Column by column ({@link MergeColumns}): an update's columns another writer left alone are taken whole. */
    ConflictResolver MERGE_COLUMNS = new MergeColumns();

    /**
     * The resolver a configuration names: {@code last_writer_wins}, {@code keep_both},
     * {@code merge_columns}, or {@code class:<fully qualified name>}; null for {@code none}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static ConflictResolver named(String name) {
        switch (name) {
            case "none":
                return null;
            case "last_writer_wins":
                return LAST_WRITER_WINS;
            case "keep_both":
                return KEEP_BOTH;
            case "merge_columns":
                return MERGE_COLUMNS;
            default:
                break;
        }
        if (!name.startsWith("class:")) {
            throw new IllegalArgumentException("expected none, last_writer_wins, keep_both, merge_columns or class:<name>");
        }
        String className = name.substring("class:".length());
        try {
            Object o = Class.forName(className).getConstructor().newInstance();
            if (!(o instanceof ConflictResolver r)) {
                throw new IllegalArgumentException(className + " is not a " + ConflictResolver.class.getName());
            }
            return r;
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot make a " + className + " (a public class with a public no-argument"
                    + " constructor on the class path): " + e, e);
        }
    }
}
