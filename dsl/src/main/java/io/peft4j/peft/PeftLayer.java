package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.Projection;

import java.util.List;

/**
 * A projection that wraps a model's original linear module with PEFT parameters (LoRA, IA3): it
 * knows its module name, the base projection it wraps and which of its parameters are the
 * method's own (as opposed to the frozen base weight).
 */
public interface PeftLayer extends Projection {
    /** Hugging Face module name, e.g. {@code encoder.block.0.layer.0.SelfAttention.q}. */
    String module();

    /** The wrapped original projection. */
    Projection base();

    /** The method's own parameters (all adapters), without the base weight. */
    List<Parameter> adapterParameters();
}
