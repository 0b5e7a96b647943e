package io.peft4j.peft;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/**
 * Initial values of a LoRA adapter's A [r, in] and B [out, r], as PEFT's {@code init_lora_weights}.
 * Every strategy is deterministic in the given random stream.
 */
public enum LoraInit {
    /**
     * PEFT's default ({@code init_lora_weights=true}): A kaiming-uniform with a = sqrt(5), i.e.
     * U(-1/sqrt(in), 1/sqrt(in)); B zeros, so a new adapter leaves the model unchanged.
     */
    KAIMING("true") {
        @Override public void init(INDArray a, INDArray b, SplittableRandom rng) {
            fillUniform(a, 1.0 / Math.sqrt(a.size(1)), rng);
            b.assign(0);
        }
    },
    /** PEFT's {@code "gaussian"}: A ~ N(0, (1/r)^2), B zeros. */
    GAUSSIAN("gaussian") {
        @Override public void init(INDArray a, INDArray b, SplittableRandom rng) {
            fillNormal(a, 1.0 / a.size(0), rng);
            b.assign(0);
        }
    },
    /**
     * PEFT's {@code init_lora_weights=false}: A and B both kaiming-uniform (B with fan-in r), so the
     * adapter changes the model from the start; meant for tests of merging and saving.
     */
    RANDOM("false") {
        @Override public void init(INDArray a, INDArray b, SplittableRandom rng) {
            fillUniform(a, 1.0 / Math.sqrt(a.size(1)), rng);
            fillUniform(b, 1.0 / Math.sqrt(b.size(1)), rng);
        }
    };

    /** The value of {@code init_lora_weights} in adapter_config.json (JSON literal or string). */
    public final String peftValue;

    LoraInit(String peftValue) { this.peftValue = peftValue; }

    /** Fills A [r, in] and B [out, r]. */
    public abstract void init(INDArray a, INDArray b, SplittableRandom rng);

    /** Reads PEFT's {@code init_lora_weights} (true, false or "gaussian"). */
    public static LoraInit fromPeft(String value) {
        for (LoraInit i : values()) if (i.peftValue.equalsIgnoreCase(value)) return i;
        throw new IllegalArgumentException("init_lora_weights '" + value + "' is not supported; peft4j knows true (kaiming), \"gaussian\" and false (random)");
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
}
