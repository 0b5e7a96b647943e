package io.peft4j.kernel;

/** A line magic ({@code %classpath}, {@code %jars}) was unknown or given a bad argument. */
public final class MagicException extends Exception {
    MagicException(String message) { super(message); }
}
