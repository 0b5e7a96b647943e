package io.peft4j;

/** The library's version string. */
public final class Version {
    public static final String VERSION = "0.1.0-SNAPSHOT";
    private Version() {}
}
