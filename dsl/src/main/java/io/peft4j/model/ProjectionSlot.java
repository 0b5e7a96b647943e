package io.peft4j.model;

/**
 * A named place in the model that holds a {@link Projection}; the name is the Hugging Face module
 * name (e.g. {@code decoder.block.3.layer.1.EncDecAttention.q}). PEFT methods read and replace it.
 */
public interface ProjectionSlot {
    String name();
    Projection get();
    void set(Projection projection);
}
