package io.sluice.embedded;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A child process tied to its parent by its standard input: the child serves until that input
 * closes (so it also ends with a parent that dies), and the parent ends it by closing the input,
 * forcibly only if the child has not exited within a minute.
 */
public final class Lifeline {

    private Lifeline() {
    }

    /** Closes {@code child}'s standard input and waits for it to exit. */
    public static void end(Process child) {
        try {
            child.getOutputStream().close();
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            child.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
        }
    }
}
