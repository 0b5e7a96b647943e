package io.peft4j.kernel.magics;

/**
 * A line magic: a line {@code %name args} at the top of a cell. It runs before the cell's Java code
 * and may return source text to put in its place ({@code %load}), or null.
 */
public interface LineMagic {
    /** The names it answers to, without the {@code %}. */
    java.util.List<String> names();

    /** One line for {@code %lsmagic}: usage and what it does. */
    String help();

    /** Runs the magic; returns Java source to insert where the magic line was, or null. */
    String run(String args, MagicContext context) throws MagicException;
}
