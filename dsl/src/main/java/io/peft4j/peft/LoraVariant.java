package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.ops.Gemm;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * How one adapter's low-rank pair enters its layer: the strategy a {@link LoraLinear} delegates
 * the adapter's share of forward, backward, merge and unmerge to (PEFT's {@code LoraVariant}).
 * The layer owns the base projection, dropout and the bookkeeping of active and merged adapters;
 * the {@link LoraAdapter} owns A, B and scaling and computes the low-rank product; the variant
 * decides what is done with it:
 * <ul>
 *   <li>{@link Plain} (LoRA): {@code y += scaling * x_d A^T B^T}; merging adds {@code scaling B A} to W;</li>
 *   <li>{@link Dora} (DoRA): a learned magnitude per output row rescales the adapted weight's
 *       direction.</li>
 * </ul>
 * Each adapter holds its own variant instance (DoRA's holds the magnitude vector and the norms of
 * a merge). {@link Kind} names the variants, as {@code use_dora} does in adapter_config.json.
 */
public sealed interface LoraVariant permits LoraVariant.Plain, Dora {

    /** "LoRA" or "DoRA". */
    String label();

    /** The variant's own trainable parameters (DoRA: the magnitude vector); empty for plain LoRA. */
    List<Parameter> parameters();

    /**
     * Tensors the variant adds to {@code adapter_model.safetensors}, keyed by what follows the module
     * name ({@code lora_magnitude_vector} for DoRA, as PEFT writes it).
     */
    Map<String, Parameter> savedTensors();

    /**
     * Adds this adapter's contribution to the layer output.
     *
     * @param layer    the layer (its base weight [out, in] and bias)
     * @param a        the adapter
     * @param xd       [N, in] the layer input after the adapter's dropout
     * @param dropped  whether dropout changed the input ({@code xd} is then not the base projection's input)
     * @param y        [N, out] the output so far (base projection plus any earlier adapter), updated in place
     * @param training keep what {@link Backward} needs
     * @return the backward step of this pass in training, else null
     */
    Backward forward(LoraLinear layer, LoraAdapter a, INDArray xd, boolean dropped, INDArray y, boolean training);

    /**
     * Folds the adapter into {@code weight} [out, in] in place.
     *
     * @param unmerged the base weight without any merged adapter (computed on demand: only DoRA needs it)
     */
    void merge(LoraAdapter a, INDArray weight, Supplier<INDArray> unmerged);

    /** Takes a merged adapter out of {@code weight} again (the inverse of {@link #merge}). */
    void unmerge(LoraAdapter a, INDArray weight);

    /** One pass's backward: accumulates the adapter's gradients and the gradient of its input. */
    @FunctionalInterface
    interface Backward {
        /**
         * @param dy   [N, out] gradient of the loss w.r.t. the layer output
         * @param dxd  [N, in] receives the gradient w.r.t. {@code xd}: {@code dxd = beta * dxd + ...}
         * @param beta 0 to overwrite {@code dxd}, 1 to add to it
         */
        void backward(INDArray dy, INDArray dxd, double beta);
    }

    /** The variants by name; {@code use_dora} in adapter_config.json selects {@link #DORA}. */
    enum Kind {
        LORA("LoRA") {
            @Override LoraVariant create(String module, LoraAdapter a, INDArray weight) { return new Plain(); }
            @Override Map<String, long[]> savedShapes(long in, long out) { return Map.of(); }
        },
        DORA("DoRA") {
            @Override LoraVariant create(String module, LoraAdapter a, INDArray weight) { return new Dora(module, a, weight); }
            @Override Map<String, long[]> savedShapes(long in, long out) { return Map.of(Dora.KEY, new long[]{out}); }
        };

        private final String label;

        Kind(String label) { this.label = label; }

        public String label() { return label; }

        /** The variant of a new adapter on a layer whose base weight is {@code weight} [out, in] (after the adapter's initialisation). */
        abstract LoraVariant create(String module, LoraAdapter a, INDArray weight);

        /** Shapes of the extra tensors {@link #savedTensors()} will hold, for checking a file before loading it. */
        abstract Map<String, long[]> savedShapes(long in, long out);
    }

    /** Plain LoRA: {@code y += scaling * x_d A^T B^T}. */
    final class Plain implements LoraVariant {
        Plain() {}

        @Override public String label() { return "LoRA"; }
        @Override public List<Parameter> parameters() { return List.of(); }
        @Override public Map<String, Parameter> savedTensors() { return Map.of(); }

        @Override
        public Backward forward(LoraLinear layer, LoraAdapter a, INDArray xd, boolean dropped, INDArray y, boolean training) {
            INDArray u = a.down(xd);                                                // [N, r]
            Gemm.mm(u, a.b().value(), y, false, true, a.scaling(), 1.0);           // y += s u B^T
            if (!training) return null;
            return (dy, dxd, beta) -> {
                INDArray du = a.backLowRank(dy, u, xd);                            // dA, dB; du = s dy B
                Gemm.mm(du, a.a().value(), dxd, false, false, 1.0, beta);          // dxd (+)= du A
            };
        }

        @Override public void merge(LoraAdapter a, INDArray weight, Supplier<INDArray> unmerged) { weight.addi(a.deltaWeight()); }

        @Override public void unmerge(LoraAdapter a, INDArray weight) { weight.subi(a.deltaWeight()); }

        @Override public String toString() { return "LoRA"; }
    }
}
