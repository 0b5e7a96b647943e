package io.peft4j.peft;

import io.peft4j.ops.Gemm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * How a new LoRA adapter's A [r, in] and B [out, r] start, as PEFT's {@code init_lora_weights}.
 * Two families:
 * <ul>
 *   <li>drawn ({@link #KAIMING}, PEFT's {@code true}; {@link #GAUSSIAN}; {@link #RANDOM}, PEFT's
 *       {@code false}): A (and for RANDOM also B) drawn from a distribution, the base weight
 *       untouched;</li>
 *   <li>derived from the base weight W [out, in] ({@link #OLORA}, {@link #PISSA},
 *       {@link #pissaNiter(int)}): A and B come from a decomposition of W, and W is replaced by the
 *       residual {@code W - scaling * B A}, exactly as PEFT replaces it, so the model computes the
 *       same function at the start. Such an adapter only means something on top of that residual:
 *       PEFT's {@code save_pretrained(path_initial_model_for_weight_conversion=...)} (here
 *       {@link AdapterIO#saveConverted}) turns it into a plain LoRA adapter of rank 2r for the
 *       untouched base.</li>
 * </ul>
 * Every strategy is deterministic in the random stream it is given.
 */
public sealed interface LoraInit permits LoraInit.Drawn, LoraInit.Olora, LoraInit.Pissa {

    /** PEFT's default ({@code true}): A kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)); B zeros. */
    LoraInit KAIMING = Drawn.KAIMING;
    /** PEFT's {@code "gaussian"}: A ~ N(0, (1/r)^2), B zeros. */
    LoraInit GAUSSIAN = Drawn.GAUSSIAN;
    /** PEFT's {@code false}: A and B both kaiming-uniform (B with fan-in r): the adapter changes the model from the start. */
    LoraInit RANDOM = Drawn.RANDOM;
    /** PEFT's {@code "olora"}: B = Q[:, :r], A = R[:r] of the QR decomposition of W; W becomes W - scaling B A. */
    LoraInit OLORA = new Olora();
    /**
     * PEFT's {@code "pissa"}: the r principal singular triplets of W = U S V^T, split evenly:
     * A = sqrt(S_r / scaling) V_r^T, B = U_r sqrt(S_r / scaling); W becomes W - scaling B A.
     */
    LoraInit PISSA = new Pissa(OptionalInt.empty(), null);

    /**
     * PEFT's {@code "pissa_niter_<niter>"}: PiSSA from {@code torch.svd_lowrank} with {@code niter}
     * subspace iterations. Its Gaussian test matrix comes from the adapter's random stream here (from
     * torch's generator in PEFT); {@link Pissa#withSketch} supplies it explicitly.
     */
    static Pissa pissaNiter(int niter) {
        if (niter < 0) throw new IllegalArgumentException("pissa_niter_" + niter + " is invalid: the number of subspace iterations must be >= 0");
        return new Pissa(OptionalInt.of(niter), null);
    }

    /** The value of {@code init_lora_weights} in adapter_config.json: "true", "false", or the string PEFT writes. */
    String peftValue();

    /** True for the initialisations that replace the base weight by a residual (OLoRA, PiSSA). */
    boolean changesBaseWeight();   // abstract on purpose: a default method would make Drawn's initialisation initialise this interface first

    /** Fills the target's A and B (and for OLoRA / PiSSA replaces its base weight by the residual). */
    void init(Target t);

    /**
     * What an initialisation works on.
     *
     * @param module  the module's name (messages; the test matrix of {@link Pissa#withSketch})
     * @param a       A [r, in], float32, zeros on entry
     * @param b       B [out, r], float32, zeros on entry
     * @param weight  the layer's base weight [out, in] (its live value, any float type)
     * @param scaling the adapter's scaling (alpha / r or alpha / sqrt(r))
     * @param rng     the adapter's random stream
     */
    record Target(String module, INDArray a, INDArray b, INDArray weight, double scaling, SplittableRandom rng) {
        public int rank() { return (int) a.size(0); }

        void requireRankAtMost(String what) {
            long p = Math.min(weight.size(0), weight.size(1));
            if (rank() > p) throw new IllegalArgumentException(module + ": r = " + rank() + " is too large for " + what + " of its ["
                + weight.size(0) + ", " + weight.size(1) + "] weight: allowed r <= " + p);
        }

        /** W = W - scaling * B A, in float32 (as PEFT computes the residual), written back in W's type. */
        void subtractFromWeight() {
            INDArray w = weight.castTo(DataType.FLOAT).dup('c');
            Gemm.mm(b, a, w, false, false, -scaling, 1.0);
            weight.assign(w.castTo(weight.dataType()));
        }
    }

    /** Reads PEFT's {@code init_lora_weights}: true, false, "gaussian", "olora", "pissa", "pissa_niter_N". */
    static LoraInit fromPeft(String value) {
        String v = value == null ? "true" : value.trim();
        for (Drawn d : Drawn.values()) if (d.peftValue.equalsIgnoreCase(v)) return d;
        if (v.equalsIgnoreCase("olora")) return OLORA;
        if (v.equals("pissa")) return PISSA;
        if (v.startsWith("pissa_niter_")) {
            String n = v.substring("pissa_niter_".length());
            try {
                return pissaNiter(Integer.parseInt(n));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("init_lora_weights '" + value + "' is invalid: after pissa_niter_ comes the number of subspace iterations, e.g. pissa_niter_4");
            }
        }
        throw new IllegalArgumentException("init_lora_weights '" + value + "' is not supported; peft4j knows true (kaiming), false (random), "
            + "\"gaussian\", \"olora\", \"pissa\" and \"pissa_niter_N\"");
    }

    /** Initialisations that draw A (and B) from a distribution and leave the base weight alone. */
    enum Drawn implements LoraInit {
        KAIMING("true") {
            @Override public void init(Target t) { fillUniform(t.a(), 1.0 / Math.sqrt(t.a().size(1)), t.rng()); }
        },
        GAUSSIAN("gaussian") {
            @Override public void init(Target t) { fillNormal(t.a(), 1.0 / t.a().size(0), t.rng()); }
        },
        RANDOM("false") {
            @Override public void init(Target t) {
                fillUniform(t.a(), 1.0 / Math.sqrt(t.a().size(1)), t.rng());
                fillUniform(t.b(), 1.0 / Math.sqrt(t.b().size(1)), t.rng());
            }
        };

        private final String peftValue;

        Drawn(String peftValue) { this.peftValue = peftValue; }

        @Override public String peftValue() { return peftValue; }
        @Override public boolean changesBaseWeight() { return false; }
    }

    /** OLoRA (Büyükakyüz 2024): an orthonormal B from the QR decomposition of W. */
    record Olora() implements LoraInit {
        @Override public String peftValue() { return "olora"; }
        @Override public boolean changesBaseWeight() { return true; }

        @Override public void init(Target t) {
            t.requireRankAtMost("the QR decomposition");
            int r = t.rank();
            LowRank.Qr qr = LowRank.qr(LowRank.toDoubles(t.weight()), r);
            t.a().assign(LowRank.toFloats(qr.r()));        // R[:r]   [r, in]
            t.b().assign(LowRank.toFloats(qr.q()));        // Q[:, :r] [out, r]
            t.subtractFromWeight();
        }

        @Override public String toString() { return "OLORA"; }
    }

    /**
     * PiSSA (Meng et al. 2024): principal singular values and vectors of W, exact ({@code niter}
     * empty) or by randomised SVD with {@code niter} subspace iterations.
     *
     * @param niter  empty for the exact SVD ({@code "pissa"}), else {@code pissa_niter_<niter>}
     * @param sketch the Gaussian test matrix of the randomised SVD per module, or null to draw it from the adapter's stream
     */
    record Pissa(OptionalInt niter, Sketch sketch) implements LoraInit {
        public Pissa {
            Objects.requireNonNull(niter, "niter");
            if (niter.isPresent() && niter.getAsInt() < 0)
                throw new IllegalArgumentException("pissa_niter_" + niter.getAsInt() + " is invalid: the number of subspace iterations must be >= 0");
            if (sketch != null && niter.isEmpty()) throw new IllegalArgumentException("a test matrix only applies to pissa_niter_N (randomised SVD), not to the exact \"pissa\"");
        }

        /** The same initialisation with the randomised SVD's test matrices given (e.g. the ones torch drew). */
        public Pissa withSketch(Sketch s) {
            if (niter.isEmpty()) throw new IllegalArgumentException("withSketch applies to pissa_niter_N (randomised SVD), not to the exact \"pissa\"");
            return new Pissa(niter, Objects.requireNonNull(s, "sketch"));
        }

        @Override public String peftValue() { return niter.isEmpty() ? "pissa" : "pissa_niter_" + niter.getAsInt(); }
        @Override public boolean changesBaseWeight() { return true; }

        @Override public void init(Target t) {
            t.requireRankAtMost("the singular value decomposition");
            int r = t.rank();
            double[][] w = LowRank.toDoubles(t.weight());
            LowRank.Svd svd;
            if (niter.isEmpty()) svd = LowRank.top(w, r);
            else {
                int rows = Math.min(w.length, w[0].length);
                double[][] g;
                if (sketch != null) {
                    INDArray s = sketch.draw(t.module(), rows, r);
                    if (s == null || s.rank() != 2 || s.size(0) != rows || s.size(1) != r)
                        throw new IllegalArgumentException(t.module() + ": the test matrix must be [" + rows + ", " + r + "], got "
                            + (s == null ? "null" : java.util.Arrays.toString(s.shape())));
                    g = LowRank.toDoubles(s);
                } else {
                    g = new double[rows][r];
                    for (double[] row : g) for (int j = 0; j < r; j++) row[j] = gaussian(t.rng());
                }
                svd = LowRank.lowRank(w, r, niter.getAsInt(), g);
            }
            double[][] a = new double[r][w[0].length], b = new double[w.length][r];
            for (int k = 0; k < r; k++) {
                double root = Math.sqrt(svd.s()[k] / t.scaling());
                for (int j = 0; j < a[k].length; j++) a[k][j] = root * svd.v()[j][k];
                for (int i = 0; i < b.length; i++) b[i][k] = svd.u()[i][k] * root;
            }
            t.a().assign(LowRank.toFloats(a));
            t.b().assign(LowRank.toFloats(b));
            t.subtractFromWeight();
        }

        @Override public String toString() { return niter.isEmpty() ? "PISSA" : "PISSA_NITER_" + niter.getAsInt(); }
    }

    /** Supplies the randomised SVD's Gaussian test matrix [rows, cols] for a module. */
    @FunctionalInterface
    interface Sketch {
        INDArray draw(String module, long rows, long cols);
    }

    static void fillUniform(INDArray t, double bound, SplittableRandom rng) {
        float[] v = new float[(int) t.length()];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        t.assign(Nd4j.create(v, t.shape(), 'c'));
    }

    static void fillNormal(INDArray t, double std, SplittableRandom rng) {
        float[] v = new float[(int) t.length()];
        for (int i = 0; i < v.length; i += 2) {
            double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1));
            v[i] = (float) (std * r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < v.length) v[i + 1] = (float) (std * r * Math.sin(2 * Math.PI * u2));
        }
        t.assign(Nd4j.create(v, t.shape(), 'c'));
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
