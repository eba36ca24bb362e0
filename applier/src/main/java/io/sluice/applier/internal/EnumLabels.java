package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's enum made to hold the primary's labels, in the primary's order (a schema event's
 * or a DDL message's list). A missing type is created in the apply transaction. PostgreSQL never
 * drops a label and keeps each label's place, so the follower's labels and the primary's match
 * up between the labels both have: a label only the follower has is one the primary renamed, and
 * is renamed in the apply transaction — usable at once, and undone with it, so transactions from
 * before the rename applied again still find the old name; a label only the primary has was
 * added, and is added at the primary's place on a session of its own that commits at once, since
 * PostgreSQL refuses a label in the transaction that added it (55P04) — a label the primary has
 * is harmless to the follower whatever the apply transaction does. Where only the follower has
 * labels, they are kept: a list read ahead of the stream (below) gave them, and the primary adds
 * them later. Lists that cannot be matched (a label renamed and another added between the same
 * two labels, or a different order) are refused, naming both.
 *
 * <p>Only a list as of its place in the stream — the event trigger's DDL message, written in the
 * ALTER TYPE's own transaction — renames. Capture reads a schema event's labels from the catalog
 * when it announces the table, which may be after a rename the rows around it predate: from such a
 * list labels are only added, so rows written before the rename still find the old name.
 */
final class EnumLabels {

    private static final Logger log = LoggerFactory.getLogger(EnumLabels.class);

    /** Opens a connection to the follower of its own (autocommit), for labels that must commit at once. */
    @FunctionalInterface
    interface SideSession {
        Connection open() throws SQLException;
    }

    /** A label renamed on the primary. */
    record Rename(String from, String to) { }

    /** A label the primary added: before {@code before} (a label the follower has), or last when null. */
    record Addition(String label, String before) { }

    /** What makes the follower's labels the primary's. */
    record Plan(List<Rename> renames, List<Addition> additions) {
        boolean empty() {
            return renames.isEmpty() && additions.isEmpty();
        }
    }

    /** How long the side session waits for the enum's lock before the apply transaction adds the labels. */
    private static final long SIDE_LOCK_WAIT_MS = 2_000;

    private final SideSession side;

    EnumLabels(SideSession side) {
        this.side = side;
    }

    /**
     * Makes the follower's enum {@code type} (a type name as SQL writes it) hold {@code labels};
     * returns whether it created the type.
     */
    boolean ensure(Connection c, Statement st, String type, List<String> labels, boolean exact, FollowerTable.Run run)
            throws SQLException {
        List<String> have = labels(c, type);
        if (have == null) {
            run.execute(st, "CREATE TYPE " + type + " AS ENUM (" + labels.stream().map(FollowerTable::literal)
                    .collect(Collectors.joining(", ")) + ")");
            return true;
        }
        Plan plan;
        try {
            plan = plan(have, labels, exact);
        } catch (IllegalArgumentException e) {
            throw new ApplierException("enum " + type + " cannot be brought to the primary's labels " + labels + " from the"
                    + " follower's " + have + ": " + e.getMessage() + "; rename or add the labels on the follower by hand, then"
                    + " start the applier again; the follower stays at its last good watermark", false, null);
        }
        if (plan.empty()) {
            return false;
        }
        if (!plan.additions().isEmpty()) {
            add(c, st, type, plan.additions(), run);
        }
        for (Rename r : plan.renames()) {
            run.execute(st, "ALTER TYPE " + type + " RENAME VALUE " + FollowerTable.literal(r.from()) + " TO "
                    + FollowerTable.literal(r.to()));
            log.info("renamed label {} of enum {} to {} on the follower, as the primary did", r.from(), type, r.to());
        }
        return false;
    }

    /**
     * On the side session when it sees the type (one this apply transaction created does not show
     * there) and can lock it (a rename earlier in this apply transaction holds the type's lock until
     * it commits); otherwise in the apply transaction, where a row that uses the label has the
     * applier apply its groups one source transaction each (55P04), the rename's committed first.
     */
    private void add(Connection c, Statement st, String type, List<Addition> additions, FollowerTable.Run run)
            throws SQLException {
        try (Connection s = side.open(); Statement sst = s.createStatement()) {
            s.setAutoCommit(true);
            if (labels(s, type) != null) {
                sst.execute("SET lock_timeout = '" + SIDE_LOCK_WAIT_MS + "ms'");
                for (Addition a : additions) {
                    sst.execute(addition(type, a));
                }
                log.info("added labels {} to enum {} on the follower", additions, type);
                return;
            }
        } catch (SQLException e) {
            if (!"55P03".equals(e.getSQLState())) {
                throw e;
            }
            log.info("enum {} is locked by the apply transaction (a rename): its labels {} are added there", type, additions);
        }
        for (Addition a : additions) {
            run.execute(st, addition(type, a));
        }
    }

    private static String addition(String type, Addition a) {
        return "ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " + FollowerTable.literal(a.label())
                + (a.before() == null ? "" : " BEFORE " + FollowerTable.literal(a.before()));
    }

    /** The type's labels in order, or null when the session has no such type. */
    private static List<String> labels(Connection c, String type) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regtype(?) IS NOT NULL, ARRAY(SELECT e.enumlabel::text"
                + " FROM pg_enum e WHERE e.enumtypid = to_regtype(?) ORDER BY e.enumsortorder)")) {
            ps.setString(1, type);
            ps.setString(2, type);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1) ? List.of((String[]) rs.getArray(2).getArray()) : null;
            }
        }
    }

    /**
     * What brings {@code have} (the follower's labels in order) to {@code want} (the primary's).
     * Between two labels both lists hold, the follower's other labels are the primary's renamed
     * ones, in order, when the primary has as many new ones there; the primary's new labels there
     * are added otherwise (when the follower has none of its own there); where the primary has no
     * new labels, the follower's own are kept. Unless {@code exact}
     * (the list as of its place in the stream), nothing is renamed: the primary's new labels are
     * added, the follower's own kept.
     *
     * @throws IllegalArgumentException saying why the lists cannot be matched
     */
    static Plan plan(List<String> have, List<String> want, boolean exact) {
        Set<String> wanted = new HashSet<>(want);
        Set<String> had = new HashSet<>(have);
        List<String> commonInHave = have.stream().filter(wanted::contains).toList();
        List<String> commonInWant = want.stream().filter(had::contains).toList();
        if (!commonInHave.equals(commonInWant)) {
            throw new IllegalArgumentException("the labels both have are in a different order");
        }
        List<Rename> renames = new ArrayList<>();
        List<Addition> additions = new ArrayList<>();
        int h = 0;
        int w = 0;
        for (int gap = 0; gap <= commonInHave.size(); gap++) {
            String end = gap < commonInHave.size() ? commonInHave.get(gap) : null;
            List<String> gone = new ArrayList<>();
            while (h < have.size() && !have.get(h).equals(end)) {
                gone.add(have.get(h++));
            }
            List<String> fresh = new ArrayList<>();
            while (w < want.size() && !want.get(w).equals(end)) {
                fresh.add(want.get(w++));
            }
            h++;
            w++;
            if (gone.isEmpty() || !exact) {
                // Added before the next label the follower has; after the last one, last.
                fresh.forEach(label -> additions.add(new Addition(label, end)));
            } else if (fresh.isEmpty()) {
                // Labels the primary has not added yet at this place in the stream, which a list read ahead gave.
                continue;
            } else if (gone.size() == fresh.size()) {
                for (int i = 0; i < gone.size(); i++) {
                    renames.add(new Rename(gone.get(i), fresh.get(i)));
                }
            } else {
                throw new IllegalArgumentException("the follower's labels " + gone + (end == null ? " at the end" : " before "
                        + end) + " cannot be matched to the primary's " + fresh + " there (a label is never dropped; renamed"
                        + " and added labels between the same two cannot be told apart)");
            }
        }
        return new Plan(renames, additions);
    }
}
