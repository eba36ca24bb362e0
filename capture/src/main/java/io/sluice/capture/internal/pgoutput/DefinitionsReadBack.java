package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.StreamTail;
import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.SaidDefinitions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads back what an earlier capture of this stream said of tables and enums ({@link DefinitionsOnStream}): the last
 * message of everything in capture's epoch, then the changes of each whole frame after it, in order. A frame cut short
 * never happened, nor did its changes. Without such a message within {@link #LIMIT} records of the end (a stream an
 * older capture wrote), nothing is read back: tables are described from the catalog until the stream says them.
 */
final class DefinitionsReadBack {

    private static final Logger log = LoggerFactory.getLogger(DefinitionsReadBack.class);
    /** How far back the last message of everything is looked for; one is written every 50,000 events or so. */
    static final long LIMIT = 2_000_000;

    private DefinitionsReadBack() {
    }

    /**
     * Reads the definitions back into {@code into}.
     *
     * @throws CaptureException FATAL when the stream cannot be read, or holds a definitions message capture cannot read
     */
    static void read(String topic, Map<String, Object> kafka, long epoch, Duration timeout, StreamDefinitions into) {
        int read = StreamTail.withConsumer(topic, kafka, "sluice-capture-definitions", (c, tp) -> {
            List<StreamTail.Payload> last = StreamTail.last(c, tp, events -> events.stream().anyMatch(e -> everything(e, epoch)),
                    LIMIT, timeout);
            if (last.isEmpty()) {
                return -1;
            }
            Replay replay = new Replay(topic, epoch, into);
            StreamTail.forward(c, tp, last.get(last.size() - 1).offset(), timeout, replay::payload);
            return replay.applied;
        });
        if (read < 0) {
            log.info("the stream {} holds no definitions of capture's within its last {} records: tables are described"
                    + " from the catalog until the stream says them", topic, LIMIT);
        } else {
            log.info("read back from the stream {} what it said of {} tables and enums ({} messages)", topic, into.size(), read);
        }
    }

    private static boolean everything(ChangeEvent e, long epoch) {
        return e instanceof ChangeEvent.Message m && !m.transactional() && SaidDefinitions.is(m) && m.header().epoch() == epoch;
    }

    /** Applies the messages of everything and the changes of whole frames, in the stream's order. */
    static final class Replay {
        private final String topic;
        private final long epoch;
        private final StreamDefinitions into;
        /** The open frame's changes; null outside a frame. */
        private List<SaidDefinitions> frame;
        private int applied;

        /** {@code topic}: named in an error. */
        Replay(String topic, long epoch, StreamDefinitions into) {
            this.topic = topic;
            this.epoch = epoch;
            this.into = into;
        }

        void payload(StreamTail.Payload p) {
            for (ChangeEvent e : p.events()) {
                if (e.header().epoch() != epoch) {
                    frame = null;
                } else if (e instanceof ChangeEvent.Begin) {
                    frame = new ArrayList<>();
                } else if (e instanceof ChangeEvent.Commit) {
                    if (frame != null) {
                        frame.forEach(this::apply);
                    }
                    frame = null;
                } else if (e instanceof ChangeEvent.Heartbeat || e instanceof ChangeEvent.Message m && !m.transactional()) {
                    frame = null; // a frame cut short: void
                    if (everything(e, epoch)) {
                        apply(parse((ChangeEvent.Message) e, p.offset()));
                    }
                } else if (frame != null && e instanceof ChangeEvent.Message m && SaidDefinitions.is(m)) {
                    frame.add(parse(m, p.offset()));
                }
            }
        }

        private void apply(SaidDefinitions d) {
            into.readBack(d);
            applied++;
        }

        private SaidDefinitions parse(ChangeEvent.Message m, long offset) {
            try {
                return SaidDefinitions.parse(m.content());
            } catch (FormatException ex) {
                throw new CaptureException(Kind.FATAL, "the stream holds a definitions message capture cannot read at " + topic
                        + "-0@" + offset + ": " + ex.getMessage(), ex);
            }
        }
    }
}
