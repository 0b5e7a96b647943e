package io.peft4j.peft;

/** A temporary change to a model's adapters (disabled, per-row adapters) undone by {@link #close()}. */
@FunctionalInterface
public interface AdapterScope extends AutoCloseable {
    @Override void close();
}
