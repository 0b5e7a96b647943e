package io.peft4j.data;

import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The train / dev / test splits of one corpus. Splits are loaded lazily (once) on first use.
 * {@link #test()} falls back to the dev split when the corpus has no test split (the shared
 * DialogSum copy holds back its test split).
 */
public final class DatasetSplits {
    private final String name;
    private final Lazy train, dev, test;

    public DatasetSplits(String name, Supplier<Dataset> train, Supplier<Dataset> dev, Supplier<Dataset> test) {
        this.name = Objects.requireNonNull(name, "name");
        this.train = new Lazy(train);
        this.dev = new Lazy(dev);
        this.test = new Lazy(test);
    }

    public static DatasetSplits of(String name, Dataset train, Dataset dev, Dataset test) {
        return new DatasetSplits(name, train == null ? null : () -> train, dev == null ? null : () -> dev,
            test == null ? null : () -> test);
    }

    public String name() { return name; }
    public boolean hasTrain() { return train.present(); }
    public boolean hasDev() { return dev.present(); }
    public boolean hasTest() { return test.present(); }

    public Dataset train() { return train.get("train", null); }
    public Dataset dev() { return dev.get("dev", null); }
    /** The test split, or the dev split when there is no test split. */
    public Dataset test() { return test.present() ? test.get("test", null) : dev.get("test", "dev"); }

    /** The same splits with a prompt template applied to each. */
    public DatasetSplits withPrompt(PromptTemplate template) { return map(d -> d.withPrompt(template)); }

    /** Applies a transformation (e.g. {@code d -> d.everyNth(100)}) to each present split, lazily. */
    public DatasetSplits map(UnaryOperator<Dataset> f) {
        Objects.requireNonNull(f, "f");
        return new DatasetSplits(name,
            train.present() ? () -> f.apply(train()) : null,
            dev.present() ? () -> f.apply(dev()) : null,
            test.present() ? () -> f.apply(test.get("test", null)) : null);
    }

    @Override public String toString() {
        return "DatasetSplits[" + name + ": train=" + train.present() + ", dev=" + dev.present() + ", test=" + test.present() + "]";
    }

    private final class Lazy {
        private final Supplier<Dataset> source;
        private Dataset value;
        Lazy(Supplier<Dataset> source) { this.source = source; }
        boolean present() { return source != null; }
        synchronized Dataset get(String split, String fallbackFrom) {
            if (source == null)
                throw new IllegalStateException("corpus '" + name + "' has no " + split + " split"
                    + (fallbackFrom != null ? " (and no " + fallbackFrom + " split to fall back on)" : ""));
            if (value == null) value = Objects.requireNonNull(source.get(), split + " split loader returned null");
            return value;
        }
    }
}
