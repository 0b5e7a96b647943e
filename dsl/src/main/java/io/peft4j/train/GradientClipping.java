package io.peft4j.train;

import io.peft4j.model.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Global-norm gradient clipping with the semantics of {@code torch.nn.utils.clip_grad_norm_}
 * (norm type 2): the total norm is the 2-norm of the per-parameter gradient 2-norms; every gradient
 * is multiplied by {@code min(1, maxNorm / (total + 1e-6))}.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** The global 2-norm of the gradients of the trainable parameters (missing buffers count as 0). */
    public static double globalNorm(List<Parameter> params) {
        double sq = 0;
        for (Parameter p : params) {
            if (!p.trainable() || !p.hasGrad()) continue;
            sq += Finite.sumSquares(p.grad());
        }
        return Math.sqrt(sq);
    }

    /**
     * Scales the gradients in place so that their global norm is at most {@code maxNorm}.
     * @return the global norm before clipping
     */
    public static double clip(List<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm = " + maxNorm + " is invalid: must be > 0");
        double total = globalNorm(params);
        double coef = Math.min(1.0, maxNorm / (total + 1e-6));
        if (coef < 1.0) {
            for (Parameter p : params) {
                if (!p.trainable() || !p.hasGrad()) continue;
                Finite.scale(p.grad(), coef);
            }
        }
        return total;
    }
}
