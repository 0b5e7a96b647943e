package io.peft4j.peft;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.SplittableRandom;

import static io.peft4j.peft.LoraLinearTest.rand;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The DoRA variant on one layer: its forward against the formula, its gradients against finite
 * differences (the weight norm treated as a constant, as PEFT detaches it), with and without
 * dropout and with a biased base; merging and unmerging; mixed-adapter batches.
 */
class DoraTest {

    static Linear biasedLinear(DataType dt, long out, long in) {
        return new Linear(new Parameter("m.weight", rand(dt, 1, out, in), false), new Parameter("m.bias", rand(dt, 2, out), false));
    }

    static LoraLinear doraLayer(Linear base, double dropout) {
        LoraLinear l = new LoraLinear("m", base);
        LoraAdapter a = l.addAdapter("default", 3, 1.5, dropout, LoraInit.RANDOM, LoraVariant.Kind.DORA, new SplittableRandom(3));
        ((Dora) a.variant()).magnitude().value().muli(rand(base.weight().value().dataType(), 4, base.outFeatures()).muli(0.3).addi(1));
        l.setActive(List.of("default"));
        return l;
    }

    /** y = (m / ||W + s B A||) * (x (W + s B A)^T) + bias, written out. */
    static INDArray formula(Linear base, LoraAdapter a, INDArray x) {
        INDArray w = base.weight().value().add(a.b().value().mmul(a.a().value()).muli(a.scaling()));
        INDArray n = w.norm2(1);
        INDArray g = ((Dora) a.variant()).magnitude().value().div(n);
        return x.mmul(w.transpose()).mulRowVector(g).addRowVector(base.bias().value());
    }

    @Test
    void newDoraAdapterComputesWhatItsLoraPairComputesAndTheFormulaAfterwards() {
        Linear base = biasedLinear(DataType.DOUBLE, 7, 5);
        LoraLinear dora = new LoraLinear("m", base);
        LoraAdapter a = dora.addAdapter("default", 3, 2.0, 0, LoraInit.RANDOM, LoraVariant.Kind.DORA, new SplittableRandom(3));
        dora.setActive(List.of("default"));
        Linear base2 = biasedLinear(DataType.DOUBLE, 7, 5);
        LoraLinear lora = new LoraLinear("m", base2);
        lora.addAdapter("default", 3, 2.0, 0, LoraInit.RANDOM, new SplittableRandom(3));
        lora.setActive(List.of("default"));
        INDArray x = rand(DataType.DOUBLE, 9, 4, 5);
        assertEquals(0, dora.forward(x, ForwardContext.inference()).sub(lora.forward(x, ForwardContext.inference())).amaxNumber().doubleValue(), 1e-12,
            "magnitude starts at the row norms of W + s B A");
        Parameter m = ((Dora) a.variant()).magnitude();
        assertEquals("m.lora_magnitude_vector.default.weight", m.name());
        assertArrayEquals(new long[]{7}, m.value().shape());
        assertEquals(List.of(a.a(), a.b(), m), a.parameters());
        assertEquals(3 * 5 + 7 * 3 + 7, a.parameterCount());
        m.value().muli(rand(DataType.DOUBLE, 4, 7).muli(0.3).addi(1));
        assertEquals(0, dora.forward(x, ForwardContext.inference()).sub(formula(base, a, x)).amaxNumber().doubleValue(), 1e-12);
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(doubles = {0.0, 0.3})
    void magnitudeAndInputGradientsMatchFiniteDifferences(double dropout) {
        Linear base = biasedLinear(DataType.DOUBLE, 6, 4);
        LoraLinear l = doraLayer(base, dropout);
        Parameter m = ((Dora) l.adapter("default").variant()).magnitude();
        INDArray x = rand(DataType.DOUBLE, 7, 5, 4), g = rand(DataType.DOUBLE, 8, 5, 6);
        checkGradients(l, x, g, List.of(m), () -> ForwardContext.training(11, 2));      // same seed and step: the same dropout mask
        assertFalse(base.weight().hasGrad(), "frozen base weight gets no dW");
    }

    @Test
    void loraPairGradientsMatchFiniteDifferencesWhereTheDetachedNormPlaysNoPart() {
        // With an output gradient orthogonal (per output column) to W'x, the loss does not depend on the norm to first
        // order, so the detached gradient PEFT uses equals the true derivative and finite differences can check it.
        Linear base = biasedLinear(DataType.DOUBLE, 6, 4);
        LoraLinear l = doraLayer(base, 0);
        LoraAdapter a = l.adapter("default");
        INDArray x = rand(DataType.DOUBLE, 7, 5, 4), g = rand(DataType.DOUBLE, 8, 5, 6);
        INDArray w = base.weight().value().add(a.b().value().mmul(a.a().value()).muli(a.scaling()));
        INDArray c = x.mmul(w.transpose());                                             // base + L, per output column
        for (int j = 0; j < 6; j++) {
            INDArray gj = g.getColumn(j), cj = c.getColumn(j);
            gj.subi(cj.mul(gj.mul(cj).sumNumber().doubleValue() / cj.mul(cj).sumNumber().doubleValue()));
        }
        checkGradients(l, x, g, List.of(a.a(), a.b()), () -> ForwardContext.training(0, 0));
    }

    /** Analytic d(sum(y * g))/dp and dx against central differences. */
    static void checkGradients(LoraLinear l, INDArray x, INDArray g, List<Parameter> params, java.util.function.Supplier<ForwardContext> ctx) {
        for (Parameter p : l.adapterParameters()) p.zeroGrad();
        l.forward(x, ctx.get());
        INDArray dx = l.backward(g).dup();
        double eps = 1e-6;
        for (Parameter p : params) {
            INDArray v = p.value(), grad = p.grad().dup();
            for (long i = 0; i < v.length(); i++) {
                double o = v.getDouble(i);
                v.putScalar(i, o + eps); double lp = l.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
                v.putScalar(i, o - eps); double lm = l.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
                v.putScalar(i, o);
                assertEquals((lp - lm) / (2 * eps), grad.getDouble(i), 1e-6, p.name() + "[" + i + "]");
            }
        }
        for (long i = 0; i < x.length(); i++) {
            double o = x.getDouble(i);
            x.putScalar(i, o + eps); double lp = l.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
            x.putScalar(i, o - eps); double lm = l.forward(x, ctx.get()).mul(g).sumNumber().doubleValue();
            x.putScalar(i, o);
            assertEquals((lp - lm) / (2 * eps), dx.getDouble(i), 1e-6, "dx[" + i + "]");
        }
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(doubles = {0.0, 0.3})
    void fusedFloatPathAgreesWithTheGenericPath(double dropout) {
        // float32 arrays take the fused Java loops, float64 ones ND4J's operations: same numbers up to float rounding
        LoraLinear f = doraLayer(biasedLinear(DataType.FLOAT, 12, 10), dropout), d = doraLayer(biasedLinear(DataType.DOUBLE, 12, 10), dropout);
        INDArray x = rand(DataType.DOUBLE, 7, 6, 10), g = rand(DataType.DOUBLE, 8, 6, 12);
        INDArray yf = f.forward(x.castTo(DataType.FLOAT), ForwardContext.training(3, 1)).dup(), yd = d.forward(x, ForwardContext.training(3, 1)).dup();
        INDArray dxf = f.backward(g.castTo(DataType.FLOAT)).dup(), dxd = d.backward(g).dup();
        assertEquals(0, yf.castTo(DataType.DOUBLE).sub(yd).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0, dxf.castTo(DataType.DOUBLE).sub(dxd).amaxNumber().doubleValue(), 1e-5);
        List<Parameter> pf = f.adapterParameters(), pd = d.adapterParameters();
        for (int i = 0; i < pf.size(); i++)
            assertEquals(0, pf.get(i).grad().castTo(DataType.DOUBLE).sub(pd.get(i).grad()).amaxNumber().doubleValue(), 1e-4, pf.get(i).name());
    }

    @Test
    void mergeMatchesTheUnmergedLayerAndUnmergeRestoresWLastMergedFirst() {
        Linear base = biasedLinear(DataType.FLOAT, 16, 12);
        INDArray w0 = base.weight().value().dup();
        LoraLinear l = new LoraLinear("m", base);
        LoraAdapter d = l.addAdapter("dora", 4, 1.5, 0, LoraInit.RANDOM, LoraVariant.Kind.DORA, new SplittableRandom(9));
        ((Dora) d.variant()).magnitude().value().muli(1.2);
        l.addAdapter("plain", 2, 0.5, 0, LoraInit.RANDOM, new SplittableRandom(10));
        INDArray x = rand(DataType.FLOAT, 3, 5, 12);
        l.setActive(List.of("dora"));
        INDArray unmerged = l.forward(x, ForwardContext.inference()).dup();
        l.merge();
        assertEquals(0, unmerged.sub(l.forward(x, ForwardContext.inference())).amaxNumber().doubleValue(), 1e-5);
        l.unmerge();
        assertEquals(0, w0.sub(base.weight().value()).amaxNumber().doubleValue(), 1e-6);

        // two merged adapters: the DoRA norm comes from the weight without the other one (PEFT's _unmerged_base_weight)
        l.setActive(List.of("plain", "dora"));
        INDArray both = l.forward(x, ForwardContext.inference()).dup();
        l.merge(List.of("plain", "dora"));
        INDArray bothMerged = l.forward(x, ForwardContext.inference()).dup();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.unmerge(List.of("plain")));
        assertTrue(e.getMessage().contains("'plain'") && e.getMessage().contains("'dora'") && e.getMessage().contains("DoRA"), e.getMessage());
        l.unmerge();
        assertEquals(0, w0.sub(base.weight().value()).amaxNumber().doubleValue(), 1e-5);
        assertTrue(bothMerged.sub(both).amaxNumber().doubleValue() < 1e-3, "merged ~ unmerged with two adapters");
    }

    @Test
    void mixedAdapterBatchesRunDoraRowsAsTheAdapterAlone() {
        Linear base = biasedLinear(DataType.FLOAT, 8, 6);
        LoraLinear l = new LoraLinear("m", base);
        LoraAdapter d = l.addAdapter("dora", 3, 2.0, 0, LoraInit.RANDOM, LoraVariant.Kind.DORA, new SplittableRandom(1));
        ((Dora) d.variant()).magnitude().value().muli(0.8);
        l.addAdapter("plain", 2, 1.0, 0, LoraInit.RANDOM, new SplittableRandom(2));
        INDArray x = rand(DataType.FLOAT, 5, 6, 6);                 // 3 batch rows x 2 tokens
        l.setActive(List.of("dora"));
        INDArray withDora = l.forward(x, ForwardContext.inference()).dup();
        l.setActive(List.of("plain"));
        INDArray withPlain = l.forward(x, ForwardContext.inference()).dup();
        INDArray plainBase = base.forward(x, ForwardContext.inference()).dup();
        l.setRowAdapters(new String[]{"dora", null, "plain"});
        INDArray mixed = l.forward(x, ForwardContext.inference()).dup();
        l.setRowAdapters(null);
        for (int r = 0; r < 6; r++) {
            INDArray want = (r < 2 ? withDora : r < 4 ? plainBase : withPlain).getRow(r);
            assertEquals(0, mixed.getRow(r).sub(want).amaxNumber().doubleValue(), 1e-5, "row " + r);
        }
    }

    @Test
    void trainingDoraBesideAnotherActiveAdapterIsRefused() {
        LoraLinear l = new LoraLinear("m", biasedLinear(DataType.FLOAT, 4, 4));
        l.addAdapter("dora", 2, 1, 0, LoraInit.RANDOM, LoraVariant.Kind.DORA, new SplittableRandom(1));
        l.addAdapter("plain", 2, 1, 0, LoraInit.RANDOM, new SplittableRandom(2));
        l.setActive(List.of("plain", "dora"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.forward(rand(DataType.FLOAT, 1, 2, 4), ForwardContext.training(0, 0)));
        assertTrue(e.getMessage().contains("DoRA") && e.getMessage().contains("dora"), e.getMessage());
    }
}
