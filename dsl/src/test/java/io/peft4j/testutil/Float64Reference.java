package io.peft4j.testutil;

import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.TrainableModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A model's float32 fast paths (array loops, buffers shared across layers, frozen inputs in shared
 * storage, fused dropout) checked against the float64 reference path of the same model: both draw
 * the same dropout masks, so a misplaced range or a buffer overwritten too early shows up as a
 * gradient that differs beyond float32 rounding.
 */
public final class Float64Reference {
    private Float64Reference() {}

    /** Rounds every base weight of the float64 model to float32 and gives both models those values. */
    public static void sameWeights(Map<String, Parameter> from64, Map<String, Parameter> to32) {
        for (Parameter p : from64.values()) {
            INDArray f = p.value().castTo(DataType.FLOAT);
            to32.get(p.name()).value().assign(f);
            p.value().assign(f.castTo(DataType.DOUBLE));
        }
    }

    /**
     * One training step's loss and gradients of both models ({@code trainable} picks the trainable
     * parameters by name) agree: the loss to 1e-5 relative, each trainable gradient to 1e-4 of its
     * largest float64 element (plus 1e-7), none all-zero, and at least {@code minCompared} compared.
     */
    public static void assertGradientsMatch(TrainableModel m32, TrainableModel m64, Batch batch, Predicate<String> trainable,
                                            String what, int minCompared) {
        double[] losses = new double[2];
        int i = 0;
        for (TrainableModel m : List.of(m32, m64)) {
            for (Parameter p : m.parameters()) p.setTrainable(trainable.test(p.name()));
            m.zeroGrad();
            losses[i++] = m.forwardLoss(batch, ForwardContext.training(42, 3));
            m.backward();
        }
        assertEquals(losses[1], losses[0], 1e-5 * Math.abs(losses[1]), what + " loss");
        Map<String, INDArray> g64 = new HashMap<>();
        for (Parameter p : m64.parameters()) g64.put(p.name(), p.grad());
        int compared = 0;
        for (Parameter p : m32.parameters()) {
            if (!p.trainable()) continue;
            INDArray a = p.grad().castTo(DataType.DOUBLE), b = g64.get(p.name());
            double scale = b.amaxNumber().doubleValue(), diff = a.sub(b).amaxNumber().doubleValue();
            assertTrue(scale > 0, what + " " + p.name() + " has an all-zero gradient");
            assertTrue(diff <= 1e-4 * scale + 1e-7, what + " " + p.name() + ": float32 gradient off by " + diff + " (largest " + scale + ")");
            compared++;
        }
        assertTrue(compared >= minCompared, what + ": " + compared + " gradients compared");
    }
}
