package io.peft4j.kernel.magics;

/** What a magic may do to the kernel: add class path entries (to the cell compiler and class loader). */
public interface MagicContext {
    /** Adds a jar or class folder to the cells' class path (both the compiler and the class loader). */
    void addToClasspath(String path);
}
