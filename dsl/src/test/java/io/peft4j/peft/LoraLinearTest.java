package io.peft4j.peft;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.Projection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/** LoRA and IA3 layers around the model's Linear: gradients by finite differences, merging. */
class LoraLinearTest {

    static INDArray rand(DataType dt, long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        long n = 1; for (long s : shape) n *= s;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian() * 0.5;
        return Nd4j.create(v, shape, 'c').castTo(dt);
    }

    static Linear frozenLinear(DataType dt, long out, long in) {
        return new Linear(new Parameter("m.weight", rand(dt, 1, out, in), false));
    }

    /** Checks analytic d(sum(y*G))/dp for p in params and dx against central differences (double precision). */
    static void gradCheck(Projection layer, List<Parameter> params, Supplier<ForwardContext> ctx) {
        INDArray x = rand(DataType.DOUBLE, 7, 5, layer.inFeatures());
        INDArray g = rand(DataType.DOUBLE, 8, 5, layer.outFeatures());
        for (Parameter p : params) p.zeroGrad();
        layer.forward(x, ctx.get());
        INDArray dx = layer.backward(g).dup();
        double eps = 1e-6;
        for (Parameter p : params) {
            INDArray v = p.value(), grad = p.grad().dup();
            for (long i = 0; i < v.length(); i += Math.max(1, v.length() / 17)) {
                double o = v.getDouble(i);
                v.putScalar(i, o + eps); double lp = layer.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
                v.putScalar(i, o - eps); double lm = layer.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
                v.putScalar(i, o);
                assertEquals((lp - lm) / (2 * eps), grad.getDouble(i), 1e-6, p.name() + "[" + i + "]");
            }
        }
        for (long i = 0; i < x.length(); i += 3) {
            double o = x.getDouble(i);
            x.putScalar(i, o + eps); double lp = layer.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
            x.putScalar(i, o - eps); double lm = layer.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
            x.putScalar(i, o);
            assertEquals((lp - lm) / (2 * eps), dx.getDouble(i), 1e-6, "dx[" + i + "]");
        }
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(doubles = {0.0, 0.3})
    void loraGradientsMatchFiniteDifferencesAndSkipDw(double dropout) {
        Linear base = frozenLinear(DataType.DOUBLE, 6, 4);
        LoraLinear l = new LoraLinear("m", base);
        LoraAdapter a = l.addAdapter("default", 3, 2.0, dropout, LoraInit.RANDOM, new SplittableRandom(3));
        l.setActive(List.of("default"));
        gradCheck(l, List.of(a.a(), a.b()), () -> ForwardContext.training(11, 2));   // same seed/step: same dropout mask
        assertFalse(base.weight().hasGrad(), "frozen base weight must get no dW");
    }

    @ParameterizedTest(name = "feedforward {0}")
    @ValueSource(booleans = {false, true})
    void ia3GradientsMatchFiniteDifferences(boolean ff) {
        Linear base = frozenLinear(DataType.DOUBLE, 6, 4);
        Ia3Linear l = new Ia3Linear("m", base, ff);
        l.vector().value().assign(rand(DataType.DOUBLE, 5, l.vector().value().shape()));
        assertArrayEquals(ff ? new long[]{1, 4} : new long[]{6, 1}, l.vector().value().shape());
        gradCheck(l, List.of(l.vector()), () -> ForwardContext.training(0, 0));
        assertFalse(base.weight().hasGrad());
    }

    @Test
    void newKaimingAdapterChangesNothingAndHasPeftInitBounds() {
        Linear base = frozenLinear(DataType.FLOAT, 64, 100);
        INDArray x = rand(DataType.FLOAT, 2, 3, 100);
        INDArray before = base.forward(x, ForwardContext.inference()).dup();
        LoraLinear l = new LoraLinear("m", base);
        LoraAdapter a = l.addAdapter("default", 8, 2.0, 0, LoraInit.KAIMING, new SplittableRandom(1));
        l.setActive(List.of("default"));
        assertEquals(before, l.forward(x, ForwardContext.inference()));
        assertEquals(0.0, a.b().value().amaxNumber().doubleValue());
        double bound = 1 / Math.sqrt(100);
        assertTrue(a.a().value().amaxNumber().doubleValue() <= bound);
        assertTrue(a.a().value().amaxNumber().doubleValue() > 0.9 * bound, "uniform over the whole range");
    }

    @Test
    void mergeUnmergeRestoresWeightAndMergeTwiceIsANoOp() {
        Linear base = frozenLinear(DataType.FLOAT, 16, 12);
        INDArray w0 = base.weight().value().dup();
        LoraLinear l = new LoraLinear("m", base);
        l.addAdapter("default", 4, 1.5, 0, LoraInit.RANDOM, new SplittableRandom(9));
        l.setActive(List.of("default"));
        INDArray x = rand(DataType.FLOAT, 3, 5, 12);
        INDArray unmerged = l.forward(x, ForwardContext.inference()).dup();
        assertTrue(unmerged.sub(base.forward(x, ForwardContext.inference())).amaxNumber().doubleValue() > 1e-2, "non-trivial adapter");
        l.merge();
        INDArray merged = l.forward(x, ForwardContext.inference()).dup();
        assertEquals(0, unmerged.sub(merged).amaxNumber().doubleValue(), 1e-5);
        INDArray wMerged = base.weight().value().dup();
        l.merge();                                                   // warns, no change
        assertEquals(wMerged, base.weight().value());
        l.unmerge();
        double maxW = w0.amaxNumber().doubleValue();
        assertEquals(0, w0.sub(base.weight().value()).amaxNumber().doubleValue(), 4 * Math.ulp((float) (maxW + 2)), "unmerge restores W within float32 rounding");
        assertTrue(l.merged().isEmpty());
    }

    @Test
    void namedAdaptersActiveDisabledDeleted() {
        Linear base = frozenLinear(DataType.FLOAT, 8, 8);
        LoraLinear l = new LoraLinear("m", base);
        l.addAdapter("a", 2, 1, 0, LoraInit.RANDOM, new SplittableRandom(1));
        l.addAdapter("b", 4, 1, 0, LoraInit.RANDOM, new SplittableRandom(2));
        INDArray x = rand(DataType.FLOAT, 3, 2, 8);
        INDArray y0 = base.forward(x, ForwardContext.inference()).dup();
        l.setActive(List.of("a"));
        INDArray ya = l.forward(x, ForwardContext.inference()).dup();
        l.setActive(List.of("b"));
        INDArray yb = l.forward(x, ForwardContext.inference()).dup();
        assertNotEquals(ya, yb);
        l.setActive(List.of("a", "b"));
        INDArray yab = l.forward(x, ForwardContext.inference()).dup();
        assertEquals(0, yab.sub(ya.add(yb).sub(y0)).amaxNumber().doubleValue(), 1e-5, "active adapters add up");
        l.setDisabled(true);
        assertEquals(y0, l.forward(x, ForwardContext.inference()));
        l.setDisabled(false);
        l.deleteAdapter("b");
        assertEquals(List.of("a"), l.active());
        assertEquals(ya, l.forward(x, ForwardContext.inference()));
        assertThrows(IllegalArgumentException.class, () -> l.adapter("b"));
        assertThrows(IllegalArgumentException.class, () -> l.addAdapter("a", 2, 1, 0, LoraInit.KAIMING, new SplittableRandom(1)));
    }

    @Test
    void ia3MergeUnmerge() {
        Linear base = frozenLinear(DataType.FLOAT, 6, 4);
        INDArray w0 = base.weight().value().dup();
        for (boolean ff : new boolean[]{false, true}) {
            Ia3Linear l = new Ia3Linear("m", base, ff);
            l.vector().value().assign(rand(DataType.FLOAT, 4, l.vector().value().shape()).addi(1));
            INDArray x = rand(DataType.FLOAT, 3, 5, 4);
            INDArray y = l.forward(x, ForwardContext.inference()).dup();
            l.merge();
            assertEquals(0, y.sub(l.forward(x, ForwardContext.inference())).amaxNumber().doubleValue(), 1e-5);
            l.unmerge();
            assertEquals(0, w0.sub(base.weight().value()).amaxNumber().doubleValue(), 1e-5);
        }
    }
}
