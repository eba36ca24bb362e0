package io.sluice.capture.internal;

import io.sluice.format.DdlMessage;
import io.sluice.format.DirectSnapshotMessage;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import io.sluice.format.SaidDefinitions;
import io.sluice.format.SequenceState;
import io.sluice.format.TableDrop;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which logical messages read from the primary's WAL capture passes on. Any role of the captured
 * database may write one ({@code pg_logical_emit_message} is PUBLIC), so a message whose prefix makes a
 * follower act is passed on only when Sluice wrote it: the DDL triggers' ({@code sluice.ddl},
 * {@code sluice.rows} and {@code sluice.drop}, these two only for capture's publication)
 * signed with the key the triggers' script keeps on the primary, capture's own
 * sequence reports signed with a key of this process, and none of the prefixes Sluice never writes to
 * the WAL (epoch markers, direct snapshots, definitions). Their signature is taken off; any other message passes
 * as it is. A message refused is logged as an error, naming its prefix and position, and dropped.
 * Used by the engine's thread.
 */
public final class MessageGate {

    private static final Logger log = LoggerFactory.getLogger(MessageGate.class);

    /** The DDL triggers' key and the position from which they sign (an earlier script did not). */
    record TriggerKey(MessageSignature signature, Lsn since) { }

    /** Where the triggers' key is read: empty when the primary has none (no triggers, or an older script). */
    interface KeySource {
        Optional<TriggerKey> read();
    }

    private final KeySource keys;
    private final String publication;
    private final MessageSignature own = MessageSignature.random();
    private Optional<TriggerKey> key;

    /** {@code publication}: capture's, the one whose dropped tables are the stream's. */
    MessageGate(KeySource keys, String publication) {
        this.keys = keys;
        this.publication = publication;
    }

    /** The triggers' key read from the primary through {@code sluice.read_message_key()}. */
    public static MessageGate of(Supplier<Connection> primary, String publication) {
        return new MessageGate(() -> read(primary), publication);
    }

    /** Signs the messages capture writes itself. */
    MessageSignature own() {
        return own;
    }

    /** The content to pass on (its signature taken off), or null when the message is refused. */
    public byte[] admit(String prefix, Lsn lsn, byte[] content) {
        if (prefix.equals(DdlMessage.PREFIX)) {
            return fromTriggers(prefix, lsn, content);
        }
        if (prefix.equals(DdlTrigger.ROWS_PREFIX)) {
            byte[] verified = fromTriggers(prefix, lsn, content);
            // Rows for another publication (a table it took in) are not the stream's; null: any publication's.
            String to = verified == null ? null : AttachedRows.publication(verified);
            return verified != null && (to == null || to.equals(publication)) ? verified : null;
        }
        if (prefix.equals(TableDrop.PREFIX)) {
            byte[] verified = fromTriggers(prefix, lsn, content);
            // A table another publication published: not the stream's, and a follower may have one of that name of its own.
            return verified != null && TableDrop.parse(verified).publications().contains(publication) ? verified : null;
        }
        if (prefix.equals(SequenceState.PREFIX)) {
            byte[] verified = own.verified(prefix, content);
            if (verified == null) {
                // An earlier capture process's report read again after a restart, or one some role wrote:
                // this process reports every sequence anew, so dropping it loses nothing.
                log.warn("logical message {} at {} is not passed on: this capture process did not write it", prefix, lsn);
            }
            return verified;
        }
        if (prefix.equals(EpochMarker.PREFIX) || prefix.equals(DirectSnapshotMessage.PREFIX) || prefix.equals(SaidDefinitions.PREFIX)) {
            return refused(prefix, lsn, "Sluice never writes it to the primary's WAL (it goes to the stream directly)");
        }
        return content;
    }

    private byte[] fromTriggers(String prefix, Lsn lsn, byte[] content) {
        if (key == null) {
            key = keys.read();
        }
        if (key.isPresent() && !MessageSignature.isSigned(content) && lsn.compareTo(key.get().since()) < 0) {
            return content; // written by an earlier script before this one was installed
        }
        byte[] verified = key.map(k -> k.signature().verified(prefix, content)).orElse(null);
        if (verified == null && MessageSignature.isSigned(content)) {
            key = keys.read(); // the script may have been installed again since, with a key of its own
            verified = key.map(k -> k.signature().verified(prefix, content)).orElse(null);
        }
        if (verified != null) {
            return verified;
        }
        return refused(prefix, lsn, key.isEmpty()
                ? "the primary has no key of Sluice's DDL triggers (not installed, or installed by an older"
                        + " ddl-capture.sql: run it again), so no role's message can be told from theirs"
                : "it carries no signature of Sluice's DDL triggers: some role wrote it with pg_logical_emit_message");
    }

    private static byte[] refused(String prefix, Lsn lsn, String why) {
        log.error("logical message {} at {} is refused and not passed on: {}", prefix, lsn, why);
        return null;
    }

    private static Optional<TriggerKey> read(Supplier<Connection> primary) {
        try (Connection c = primary.get(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regprocedure('sluice.read_message_key()') IS NOT NULL")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT key, since::text FROM sluice.read_message_key()")) {
                if (!rs.next() || rs.getBytes(1) == null) {
                    return Optional.empty();
                }
                return Optional.of(new TriggerKey(new MessageSignature(rs.getBytes(1)), Lsn.parse(rs.getString(2))));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading the key of Sluice's DDL triggers on the primary failed: " + e.getMessage(), e);
        }
    }
}
