package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.follower.Watermark;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.AppliedOffset;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower of kind {@code topics}: one compacted Kafka topic per table, keyed by primary key,
 * each record the row after a change ({@link ChangeRecords}; FORMAT.md, "Change topics"). A
 * follower transaction is a Kafka transaction: the records of a group of source transactions and
 * the applier group's offset on the stream — whose metadata is the watermark
 * ({@link AppliedOffset}) — commit together, so a {@code read_committed} consumer never sees part
 * of a source transaction and a restart resumes exactly after the last group committed.
 *
 * <p>The writer lock is Kafka's own: the producer's transactional id is the follower's, so a second
 * applier's producer fences the first, whose next commit fails and stops it ({@link TopicTransactions}).
 */
public final class ChangeTopicStore implements FollowerStore {

    private static final Logger log = LoggerFactory.getLogger(ChangeTopicStore.class);

    private final ApplierConfig config;
    private final Clock clock;
    private final TopicPartition stream;
    private final String group;
    private final ChangeRecords records;
    private final TopicTransactions kafka;
    private ChangeTopicAdmin admin;
    private long transactions;
    private long epoch;
    private String epochFollower;
    private Lsn forkLsn;

    public ChangeTopicStore(ApplierConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.stream = new TopicPartition(TopicNames.stream(config.sourceId()), 0);
        this.group = TopicNames.applierGroup(config.sourceId(), config.followerName());
        this.records = new ChangeRecords(config.sourceId(), config.followerName());
        this.kafka = new TopicTransactions(config, stream, group);
    }

    @Override
    public String kind() {
        return "topics";
    }

    @Override
    public void start() {
        admin = new ChangeTopicAdmin(config, stream, group);
        connect();
    }

    @Override
    public void connect() {
        kafka.connect();
    }

    @Override
    public boolean connected() {
        return kafka.connected();
    }

    @Override
    public boolean collapsesRows() {
        return false; // a consumer counts every row change
    }

    @Override
    public boolean keepsStreamOffsets() {
        return true;
    }

    @Override
    public Optional<Watermark> watermark() {
        Optional<Watermark> w = watermarkNow();
        transactions = w.map(Watermark::transactions).orElse(0L);
        epoch = w.map(Watermark::epoch).orElse(0L);
        epochFollower = w.map(Watermark::epochFollower).orElse(null);
        forkLsn = w.map(Watermark::forkLsn).orElse(null);
        return w;
    }

    @Override
    public Optional<Watermark> watermarkNow() {
        return admin.watermark();
    }

    @Override
    public void checkLock() {
        // Kafka fences a replaced producer at its next send or commit.
    }

    @Override
    public Work insert(ChangeEvent.Insert e) {
        return send(records.insert(e));
    }

    @Override
    public Work update(ChangeEvent.Update e) {
        return send(records.update(e));
    }

    @Override
    public Work delete(ChangeEvent.Delete e) {
        return send(records.delete(e));
    }

    @Override
    public Work truncate(ChangeEvent.Truncate e) {
        return () -> {
            kafka.begin();
            kafka.flush(); // this transaction's own records are then read back too
            for (TableId table : e.tables()) {
                records.tombstones(config.kafka(), table, e.header()).forEach(this::sendNow);
            }
        };
    }

    @Override
    public Work copy(CopyEvent e) {
        return send(records.inserts(e.inserts()));
    }

    @Override
    public Work schema(ChangeEvent.SchemaChange e, String at) {
        String topic = records.topic(e.table()); // a table without a topic name stops here, naming it
        return () -> admin.ensureTopic(topic);
    }

    @Override
    public Work ddl(DdlMessage ddl, EventHeader header, String at) {
        if (ddl.renamedFrom() != null) {
            throw new ApplierException("the primary renamed table " + ddl.renamedFrom() + " to " + ddl.table() + " at source LSN "
                    + header.commitLsn() + " (" + at + "): a change topic is named by its table, and the records already in "
                    + records.topic(ddl.renamedFrom()) + " cannot move. Apply the stream to a follower of a new name (new"
                    + " topics, from a new snapshot) or leave the table out of the publication", false, null);
        }
        if (!ddl.generated().isEmpty()) {
            DdlMessage.Generated g = ddl.generated().get(0);
            throw new ApplierException("column " + g.name() + " (" + g.type() + ") of table " + ddl.table() + " is generated"
                    + " (" + at + "): pgoutput does not send its values and a change topic cannot compute them, so follower "
                    + config.followerName() + " (change topics) refuses the table; leave it out of the publication or drop the"
                    + " generation", false, null);
        }
        if (!ddl.partitionsGone().isEmpty()) {
            // The topic holds the table's keys; which of them the partition held is a constraint on values the
            // records carry only as text. Never a topic that silently keeps keys the table lost.
            throw new ApplierException("partition " + ddl.partitionsGone().get(0).table() + " took its rows out of table "
                    + ddl.table() + " at source LSN " + header.commitLsn() + " (" + at + ": dropped, detached or truncated) with no"
                    + " row change, and follower " + config.followerName() + " (change topics) cannot tell which keys of "
                    + records.topic(ddl.table()) + " it held. Skip the transaction (sluice apply --skip-transaction "
                    + header.commitLsn() + ") to keep their records, or rebuild the topic from a new snapshot", false, null);
        }
        return () -> { }; // records carry each row as it was at its change; DDL rewrites none already written
    }

    /** A dropped table's keys are gone as a truncated one's are: a tombstone for each. */
    @Override
    public Work drop(TableDrop drop, EventHeader header, String at) {
        return truncate(new ChangeEvent.Truncate(header, List.of(drop.table()), false, false));
    }

    @Override
    public Work insertMany(TableId table, List<String> columns, List<ChangeEvent.Insert> rows) {
        return send(records.inserts(rows));
    }

    @Override
    public Work updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
        return send(records.updates(rows));
    }

    @Override
    public Work deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) {
        return send(records.deletes(rows));
    }

    @Override
    public Work recordSkip(Lsn commitLsn, long xid, String reason) {
        return () -> log.warn("follower {}: source transaction xid {} at {} skipped ({}): none of its changes is in the topics",
                config.followerName(), xid, commitLsn, reason);
    }

    private Work send(List<ProducerRecord<byte[], byte[]>> prepared) {
        return () -> {
            kafka.begin();
            for (ProducerRecord<byte[], byte[]> r : prepared) {
                sendNow(r);
            }
        };
    }

    private void sendNow(ProducerRecord<byte[], byte[]> r) {
        admin.ensureTopic(r.topic());
        kafka.send(r);
    }

    @Override
    public Instant commit(GroupCommit g) {
        kafka.begin();
        FrameEnd last = g.last();
        if (g.entered() != null) {
            epoch = g.entered().epoch();
            epochFollower = g.entered().follower();
            forkLsn = g.fork();
        }
        Instant now = clock.instant();
        AppliedOffset applied = new AppliedOffset(last.commitLsn(), last.xid(), last.commitTime(), now,
                transactions + g.frames(), epoch, epochFollower, forkLsn);
        kafka.commit(new OffsetAndMetadata(last.offset() + 1, applied.metadata()), last.commitLsn());
        transactions += g.frames();
        return now;
    }

    @Override
    public void rollback() {
        kafka.rollback();
    }

    @Override
    public void disconnect() {
        kafka.disconnect();
    }

    @Override
    public void close() {
        kafka.disconnect();
        if (admin != null) {
            admin.close();
        }
    }
}
