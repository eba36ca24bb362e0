package io.sluice.cli.promote;

/** A promotion refused or stopped, saying why and the way on. Nothing after the step named was done. */
public final class PromotionException extends RuntimeException {
    public PromotionException(String message) {
        super(message);
    }
}
