package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Every matrix product of the model goes through here ({@code c = alpha op(a) op(b) + beta c} via
 * {@link Nd4j#gemm}), so a benchmark can record the exact sequence of GEMMs of a step and time it
 * alone. Recording is off unless {@link #startRecording()} is called (a single volatile read).
 */
public final class Gemm {
    private Gemm() {}

    /** One recorded call: shapes of a, b, c and the flags. */
    public record Call(long[] a, long[] b, long[] c, boolean ta, boolean tb, double beta) {}

    private static volatile List<Call> log;

    public static void startRecording() { log = new ArrayList<>(); }

    public static List<Call> stopRecording() { List<Call> l = log; log = null; return l == null ? List.of() : l; }

    static void mm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha, double beta) {
        List<Call> l = log;
        if (l != null) l.add(new Call(a.shape(), b.shape(), c.shape(), ta, tb, beta));
        Nd4j.gemm(a, b, c, ta, tb, alpha, beta);
    }
}
