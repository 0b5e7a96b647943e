package io.peft4j.model;

import java.util.Objects;

/** The model's {@link ProjectionSlot}: a named, replaceable holder of one projection. */
public final class Slot implements ProjectionSlot {
    private final String name;
    private Projection projection;

    public Slot(String name, Projection projection) {
        this.name = name;
        this.projection = Objects.requireNonNull(projection);
    }

    @Override public String name() { return name; }
    @Override public Projection get() { return projection; }

    @Override public void set(Projection p) {
        Objects.requireNonNull(p, "projection");
        if (p.inFeatures() != projection.inFeatures() || p.outFeatures() != projection.outFeatures())
            throw new IllegalArgumentException(name + ": replacement maps " + p.inFeatures() + "->" + p.outFeatures()
                + " but the slot needs " + projection.inFeatures() + "->" + projection.outFeatures());
        projection = p;
    }

    @Override public String toString() { return name + ": " + projection; }
}
