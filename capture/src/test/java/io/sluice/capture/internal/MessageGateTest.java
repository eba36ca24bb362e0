package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.DdlMessage;
import io.sluice.format.Lsn;
import io.sluice.format.SequenceState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MessageGateTest {

    private static final byte[] BODY = "{\"table\": [\"public\", \"t\"]}".getBytes(StandardCharsets.UTF_8);
    private static final Lsn SINCE = new Lsn(1000);

    /** Hands out the keys in order, the last one from then on, counting the reads. */
    private static final class Keys implements MessageGate.KeySource {
        final Deque<Optional<MessageGate.TriggerKey>> keys = new ArrayDeque<>();
        int reads;

        Keys(MessageSignature... signatures) {
            for (MessageSignature s : signatures) {
                keys.add(Optional.ofNullable(s).map(k -> new MessageGate.TriggerKey(k, SINCE)));
            }
        }

        @Override
        public Optional<MessageGate.TriggerKey> read() {
            reads++;
            return keys.size() > 1 ? keys.poll() : keys.peek();
        }
    }

    @Test
    void theTriggersSignedMessagePassesWithoutItsSignatureAndAnyOtherIsRefused() {
        MessageSignature key = MessageSignature.random();
        MessageGate gate = new MessageGate(new Keys(key), "pub");
        Lsn after = new Lsn(2000);
        assertThat(gate.admit(DdlMessage.PREFIX, after, key.sign(DdlMessage.PREFIX, BODY))).isEqualTo(BODY);
        assertThat(gate.admit(DdlMessage.PREFIX, after, BODY)).as("unsigned").isNull();
        assertThat(gate.admit(DdlMessage.PREFIX, after, MessageSignature.random().sign(DdlMessage.PREFIX, BODY)))
                .as("another key's").isNull();
        assertThat(gate.admit(DdlTrigger.ROWS_PREFIX, after, key.sign(DdlMessage.PREFIX, BODY)))
                .as("signed for another prefix").isNull();
        byte[] tampered = key.sign(DdlMessage.PREFIX, BODY);
        tampered[tampered.length - 2] ^= 1;
        assertThat(gate.admit(DdlMessage.PREFIX, after, tampered)).as("changed after signing").isNull();
    }

    @Test
    void anUnsignedMessageWrittenBeforeTheKeyWasMadeIsAnEarlierScriptsAndPasses() {
        MessageGate gate = new MessageGate(new Keys(MessageSignature.random()), "pub");
        assertThat(gate.admit(DdlMessage.PREFIX, new Lsn(999), BODY)).isEqualTo(BODY);
        assertThat(gate.admit(DdlMessage.PREFIX, SINCE, BODY)).isNull();
    }

    @Test
    void withoutAKeyOnThePrimaryNoTriggerMessagePasses() {
        MessageGate gate = new MessageGate(new Keys((MessageSignature) null), "pub");
        assertThat(gate.admit(DdlMessage.PREFIX, new Lsn(1), BODY)).isNull();
        assertThat(gate.admit(DdlTrigger.ROWS_PREFIX, new Lsn(1), BODY)).isNull();
    }

    @Test
    void aKeyMadeAgainOnThePrimaryIsReadAgainOnlyWhenASignedMessageFails() {
        MessageSignature old = MessageSignature.random();
        MessageSignature made = MessageSignature.random();
        Keys keys = new Keys(old, made);
        MessageGate gate = new MessageGate(keys, "pub");
        assertThat(gate.admit(DdlMessage.PREFIX, new Lsn(2000), old.sign(DdlMessage.PREFIX, BODY))).isEqualTo(BODY);
        assertThat(gate.admit(DdlMessage.PREFIX, new Lsn(2001), BODY)).isNull();
        assertThat(keys.reads).as("an unsigned message is no reason to read the key again").isEqualTo(1);
        assertThat(gate.admit(DdlMessage.PREFIX, new Lsn(2002), made.sign(DdlMessage.PREFIX, BODY))).isEqualTo(BODY);
        assertThat(keys.reads).isEqualTo(2);
    }

    @Test
    void sequenceReportsPassOnlySignedByThisProcessAndEpochsNever() {
        MessageGate gate = new MessageGate(new Keys(MessageSignature.random()), "pub");
        byte[] report = "[]".getBytes(StandardCharsets.UTF_8);
        assertThat(gate.admit(SequenceState.PREFIX, Lsn.ZERO, gate.own().sign(SequenceState.PREFIX, report))).isEqualTo(report);
        assertThat(gate.admit(SequenceState.PREFIX, Lsn.ZERO, report)).isNull();
        assertThat(gate.admit(SequenceState.PREFIX, Lsn.ZERO, MessageSignature.random().sign(SequenceState.PREFIX, report))).isNull();
        assertThat(gate.admit(io.sluice.format.EpochMarker.PREFIX, Lsn.ZERO, report)).isNull();
        assertThat(gate.admit("app.note", Lsn.ZERO, report)).as("anyone's own prefix").isEqualTo(report);
    }

    @Test
    void aDroppedTablePassesOnlyWhenCapturesPublicationPublishedIt() {
        MessageSignature key = MessageSignature.random();
        MessageGate gate = new MessageGate(new Keys(key), "pub");
        byte[] ours = new io.sluice.format.TableDrop(new io.sluice.format.TableId("public", "t"), List.of("other", "pub")).toJson();
        byte[] theirs = new io.sluice.format.TableDrop(new io.sluice.format.TableId("public", "t"), List.of("other")).toJson();
        Lsn at = new Lsn(2000);
        assertThat(gate.admit(io.sluice.format.TableDrop.PREFIX, at, key.sign(io.sluice.format.TableDrop.PREFIX, ours))).isEqualTo(ours);
        assertThat(gate.admit(io.sluice.format.TableDrop.PREFIX, at, key.sign(io.sluice.format.TableDrop.PREFIX, theirs))).isNull();
        assertThat(gate.admit(io.sluice.format.TableDrop.PREFIX, at, ours)).as("unsigned").isNull();
    }

    @Test
    void rowsPassForCapturesPublicationOrForAnyAndNotForAnother() {
        MessageSignature key = MessageSignature.random();
        MessageGate gate = new MessageGate(new Keys(key), "pub");
        Lsn at = new Lsn(2000);
        for (String publication : List.of("\"pub\"", "null", "\"other\"")) {
            byte[] rows = ("{\"table\": [\"public\", \"t\"], \"root\": [\"public\", \"t\"], \"columns\": [\"id\"],"
                    + " \"publication\": " + publication + "}\n1\n").getBytes(StandardCharsets.UTF_8);
            byte[] passed = gate.admit(DdlTrigger.ROWS_PREFIX, at, key.sign(DdlTrigger.ROWS_PREFIX, rows));
            assertThat(passed).as(publication).isEqualTo(publication.equals("\"other\"") ? null : rows);
        }
    }
}
