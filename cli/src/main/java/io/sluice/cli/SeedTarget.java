package io.sluice.cli;

import io.sluice.applier.DirectSeed;
import io.sluice.capture.SnapshotTarget;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.time.Instant;
import java.util.List;

/**
 * Capture's direct snapshot into a PostgreSQL follower: capture's {@link SnapshotTarget} carried
 * out by the applier's {@link DirectSeed} (the two modules do not know each other; this is where
 * they meet).
 */
public final class SeedTarget implements SnapshotTarget {

    private final DirectSeed seed;

    public SeedTarget(DirectSeed seed) {
        this.seed = seed;
    }

    @Override
    public String name() {
        return seed.name();
    }

    @Override
    public void begin(Lsn consistentPoint, long xid, Instant commitTime) throws Exception {
        seed.begin(consistentPoint, xid, commitTime);
    }

    @Override
    public void define(List<ChangeEvent> definition) throws Exception {
        seed.define(definition);
    }

    @Override
    public Part load(TableId table, List<String> columns) throws Exception {
        DirectSeed.Part part = seed.load(table, columns);
        return new Part() {
            @Override
            public void write(byte[] text, int offset, int length) throws Exception {
                part.write(text, offset, length);
            }

            @Override
            public long finish() throws Exception {
                return part.finish();
            }

            @Override
            public void close() {
                part.close();
            }
        };
    }

    @Override
    public void commit() throws Exception {
        seed.commit();
    }

    @Override
    public void close() {
        seed.close();
    }
}
