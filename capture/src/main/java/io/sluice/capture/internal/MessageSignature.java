package io.sluice.capture.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature on a logical message that Sluice itself wrote to the primary's WAL: HMAC-SHA256 of
 * the prefix, a newline and the content, in hex, then a newline, then the content. The same as
 * {@code sluice.emit} in ddl-capture.sql computes. Thread-safe.
 */
final class MessageSignature {

    private static final int HEX_LENGTH = 64;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    MessageSignature(byte[] key) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("a message key has bytes");
        }
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
    }

    /** A key of this process's own, for the messages capture writes itself. */
    static MessageSignature random() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new MessageSignature(key);
    }

    /** The content with its signature before it. */
    byte[] sign(String prefix, byte[] content) {
        byte[] mac = HexFormat.of().formatHex(mac(prefix, content)).getBytes(StandardCharsets.US_ASCII);
        byte[] signed = Arrays.copyOf(mac, HEX_LENGTH + 1 + content.length);
        signed[HEX_LENGTH] = '\n';
        System.arraycopy(content, 0, signed, HEX_LENGTH + 1, content.length);
        return signed;
    }

    /** The content without its signature, or null when it carries none this key made. */
    byte[] verified(String prefix, byte[] signed) {
        if (!isSigned(signed)) {
            return null;
        }
        byte[] content = Arrays.copyOfRange(signed, HEX_LENGTH + 1, signed.length);
        byte[] claimed;
        try {
            claimed = HexFormat.of().parseHex(new String(signed, 0, HEX_LENGTH, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return null;
        }
        return MessageDigest.isEqual(claimed, mac(prefix, content)) ? content : null;
    }

    /** Whether the content has the shape of a signed one (a signature, whoever made it). */
    static boolean isSigned(byte[] content) {
        if (content.length <= HEX_LENGTH || content[HEX_LENGTH] != '\n') {
            return false;
        }
        for (int i = 0; i < HEX_LENGTH; i++) {
            if (Character.digit(content[i], 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private byte[] mac(String prefix, byte[] content) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update((prefix + "\n").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(content);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is missing from this JVM", e);
        }
    }
}
