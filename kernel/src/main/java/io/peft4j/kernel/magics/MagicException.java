package io.peft4j.kernel.magics;

/** A magic was unknown, given a bad argument, or failed (a file not found, an artifact not resolved). */
public final class MagicException extends Exception {
    public MagicException(String message) { super(message); }

    public MagicException(String message, Throwable cause) { super(message, cause); }
}
