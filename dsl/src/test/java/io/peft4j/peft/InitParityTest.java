package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.t5.T5Model;
import io.peft4j.train.Schedule;
import io.peft4j.train.Trainer;
import io.peft4j.train.TrainingConfig;
import io.peft4j.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The initialisations against PEFT 0.21 (fixtures of peft_parity.py on tiny_flan): OLoRA, PiSSA,
 * pissa_niter_2 (given torch's test matrices) and PiSSA under DoRA made here from the same base
 * give PEFT's residual weights and factors, train along PEFT's trajectory and convert to PEFT's
 * plain LoRA adapter; PEFT's unconverted adapters load by recomputing the residual, its converted
 * ones onto the untouched base, an unconverted pissa_niter_N is refused with how to convert; the
 * gaussian init has PEFT's spread.
 */
class InitParityTest {

    static LoraInit init(String fx, Map<String, INDArray> t) {
        return switch (fx) {
            case "pissa", "dora_pissa" -> LoraInit.PISSA;
            case "olora" -> LoraInit.OLORA;
            case "pissa_niter_2" -> LoraInit.pissaNiter(2).withSketch((module, rows, cols) -> t.get("sketch." + module));
            default -> throw new IllegalArgumentException(fx);
        };
    }

    static LoraConfig config(String fx, Map<String, INDArray> t) {
        LoraConfig c = fx.equals("dora_pissa") ? LoraConfig.of("k", "wi_1").withDora(true) : LoraConfig.of("q", "v", "wi_0", "wo");
        return c.withRank(4).withAlpha(8).withInit(init(fx, t));
    }

    /** Largest deviation of A [r, in] and B [out, r] from PEFT's after aligning each rank component's sign (SVD signs are arbitrary). */
    static double upToSign(INDArray a, INDArray b, INDArray pa, INDArray pb) {
        INDArray a2 = a.castTo(DataType.DOUBLE).dup(), b2 = b.castTo(DataType.DOUBLE).dup();
        for (int k = 0; k < a.size(0); k++) {
            double dot = a2.getRow(k).mul(pa.castTo(DataType.DOUBLE).getRow(k)).sumNumber().doubleValue();
            if (dot < 0) { a2.getRow(k).muli(-1); b2.getColumn(k).muli(-1); }
        }
        return Math.max(ParityFixtures.maxAbs(a2, pa), ParityFixtures.maxAbs(b2, pb));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pissa", "olora", "pissa_niter_2", "dora_pissa"})
    void initialisedHereLikePeftTrainsLikePeftAndConvertsLikePeft(String fx, @TempDir Path tmp) throws Exception {
        JsonNode info = ParityFixtures.info(fx);
        Map<String, INDArray> t = ParityFixtures.tensors(fx);
        T5Model m = PeftFixtures.loadNoDropout("tiny_flan");
        LoraModel<T5Model> lora = LoraModel.of(m, config(fx, t), 7);
        List<String> modules = new ArrayList<>();
        info.get("modules").forEach(n -> modules.add(n.asText()));
        assertEquals(modules, lora.targetedModules("default"));

        double residual = 0, delta = 0, factors = 0, magnitude = 0;
        for (String mod : modules) {
            LoraLinear layer = lora.layers().get(mod);
            LoraAdapter a = layer.adapter("default");
            residual = Math.max(residual, ParityFixtures.maxAbs(layer.baseWeight().value(), t.get("residual." + mod)));
            INDArray peftDelta = t.get("init_B." + mod).mmul(t.get("init_A." + mod));
            delta = Math.max(delta, ParityFixtures.maxAbs(a.b().value().mmul(a.a().value()), peftDelta));
            factors = Math.max(factors, fx.equals("olora")
                ? Math.max(ParityFixtures.maxAbs(a.a().value(), t.get("init_A." + mod)), ParityFixtures.maxAbs(a.b().value(), t.get("init_B." + mod)))
                : upToSign(a.a().value(), a.b().value(), t.get("init_A." + mod), t.get("init_B." + mod)));
            if (fx.equals("dora_pissa"))
                magnitude = Math.max(magnitude, ParityFixtures.maxAbs(((Dora) a.variant()).magnitude().value(), t.get("init_magnitude." + mod)));
        }
        ParityFixtures.report(fx + " residual base weights", residual, 1e-5);
        ParityFixtures.report(fx + " initial B A", delta, 1e-5);
        // singular vectors move with float32 rounding over 1 / (gap between singular values): torch's SVD runs in float32, ours in double
        ParityFixtures.report(fx + " initial A, B" + (fx.equals("olora") ? "" : " (up to each component's sign)"), factors, fx.equals("olora") ? 1e-5 : 5e-5);
        if (fx.equals("dora_pissa")) ParityFixtures.report(fx + " initial magnitudes", magnitude, 1e-5);

        List<Batch> batches = ParityFixtures.batches();
        double initial = 0;
        for (int i = 0; i < batches.size(); i++)
            initial = Math.max(initial, Math.abs(m.forwardLoss(batches.get(i), ForwardContext.inference()) - info.get("initial_loss").get(i).asDouble()));
        ParityFixtures.report(fx + " loss at initialisation (= the base model's)", initial, 1e-5);

        JsonNode tr = info.get("train");
        TrainingConfig cfg = TrainingConfig.builder().maxSteps(tr.get("steps").asInt()).learningRate(tr.get("lr").asDouble())
            .schedule(Schedule.LINEAR).weightDecay(0).maxGradNorm(1.0).shuffle(false).evalEveryEpoch(false).build();
        TrainingResult r = new Trainer(m, cfg).train(batches, List.of());
        double lossDev = 0;
        for (int i = 0; i < r.stepLosses().size(); i++) lossDev = Math.max(lossDev, Math.abs(r.stepLosses().get(i) - tr.get("losses").get(i).asDouble()));
        ParityFixtures.report(fx + " training loss, 5 AdamW steps", lossDev, 1e-4);
        double trained = 0;
        for (String mod : modules) {
            LoraAdapter a = lora.layers().get(mod).adapter("default");
            trained = Math.max(trained, ParityFixtures.maxAbs(a.b().value().mmul(a.a().value()), t.get("final_delta." + mod)));
        }
        ParityFixtures.report(fx + " B A after 5 steps", trained, 1e-4);

        if (fx.equals("dora_pissa")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterIO.saveConverted(lora, "default", tmp, SafeTensors.Dtype.F32, "tiny_flan"));
            assertTrue(e.getMessage().contains("DoRA") && e.getMessage().contains("magnitude"), e.getMessage());
            return;
        }
        AdapterIO.saveConverted(lora, "default", tmp, SafeTensors.Dtype.F32, "tiny_flan");
        Path peftDir = ParityFixtures.dir(fx).resolve("converted");
        ObjectMapper json = new ObjectMapper();
        JsonNode ours = json.readTree(tmp.resolve(AdapterIO.CONFIG).toFile()), theirs = json.readTree(peftDir.resolve(AdapterIO.CONFIG).toFile());
        for (String k : List.of("r", "lora_alpha", "init_lora_weights", "use_dora", "use_rslora", "peft_type", "rank_pattern", "alpha_pattern"))
            assertEquals(theirs.get(k), ours.get(k), "converted adapter_config.json '" + k + "'");
        assertEquals(new HashSet<>(json.convertValue(theirs.get("target_modules"), List.class)), new HashSet<>(json.convertValue(ours.get("target_modules"), List.class)));
        Map<String, INDArray> mine = SafeTensors.read(tmp.resolve(AdapterIO.WEIGHTS)), peft = SafeTensors.read(peftDir.resolve(AdapterIO.WEIGHTS));
        assertEquals(peft.keySet(), mine.keySet());
        double conv = 0;
        for (String mod : modules) {
            String k = AdapterIO.PREFIX + mod;
            conv = Math.max(conv, ParityFixtures.maxAbs(mine.get(k + ".lora_B.weight").mmul(mine.get(k + ".lora_A.weight")),
                peft.get(k + ".lora_B.weight").mmul(peft.get(k + ".lora_A.weight"))));
        }
        ParityFixtures.report(fx + " converted adapter B'A' (vs PEFT's conversion)", conv, 1e-4);
        // and the converted adapter on the untouched base computes what the residual model with the adapter computes
        T5Model fresh = T5Model.load(Fixtures.dir("tiny_flan"));
        AdapterIO.loadLora(fresh, tmp);
        double same = 0;
        for (Batch b : batches) same = Math.max(same, ParityFixtures.maxAbs(fresh.logits(b), m.logits(b)));
        ParityFixtures.report(fx + " converted on the base vs adapter on the residual (peft4j both)", same, 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pissa", "olora", "dora_pissa"})
    void unconvertedPeftAdapterLoadsByRecomputingTheResidual(String fx) {
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("adapter"));
        assertTrue(lora.config("default").init().changesBaseWeight());
        ParityFixtures.compareOutputs(fx + " unconverted, loaded", m, fx, "unmerged");
        ParityFixtures.compareOutputs(fx + " unconverted, loaded (vs PEFT's own reload)", m, fx, "reloaded");
        lora.merge();
        ParityFixtures.compareOutputs(fx + " unconverted, merged", m, fx, "merged");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pissa", "olora", "pissa_niter_2"})
    void convertedPeftAdapterLoadsOntoTheUntouchedBase(String fx) {
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        Map<String, INDArray> before = new LinkedHashMap<>();
        for (Parameter p : m.baseParameters().values()) before.put(p.name(), p.value().dup());
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("converted"));
        assertEquals(8, lora.config("default").r());
        assertEquals(LoraInit.KAIMING, lora.config("default").init());
        for (Parameter p : m.baseParameters().values()) assertEquals(before.get(p.name()), p.value(), p.name() + " untouched");
        ParityFixtures.compareOutputs(fx + " converted", m, fx, "converted");
    }

    @Test
    void unconvertedPissaNiterIsRefusedWithHowToConvert() {
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        Map<String, INDArray> before = new LinkedHashMap<>();
        for (Parameter p : m.baseParameters().values()) before.put(p.name(), p.value().dup());
        Path dir = ParityFixtures.dir("pissa_niter_2").resolve("adapter");
        FileFormatException e = assertThrows(FileFormatException.class, () -> AdapterIO.loadLora(m, dir));
        for (String part : List.of("pissa_niter_2", "path_initial_model_for_weight_conversion", "cannot be recomputed", "AdapterIO.saveConverted"))
            assertTrue(e.getMessage().contains(part), "message names '" + part + "': " + e.getMessage());
        for (Parameter p : m.baseParameters().values()) assertEquals(before.get(p.name()), p.value(), p.name() + " untouched");
        assertFalse(m.projections().values().stream().anyMatch(s -> s.get() instanceof LoraLinear), "no layer wrapped");
    }

    @Test
    void gaussianAdapterLoadsAndTheGaussianInitHasPeftsSpread() {
        String fx = "gaussian";
        JsonNode info = ParityFixtures.info(fx);
        T5Model m = T5Model.load(Fixtures.dir("tiny_flan"));
        LoraModel<T5Model> lora = AdapterIO.loadLora(m, ParityFixtures.dir(fx).resolve("adapter"));
        assertEquals(LoraInit.GAUSSIAN, lora.config("default").init());
        ParityFixtures.compareOutputs(fx + " loaded", m, fx, "unmerged");
        // a fresh gaussian adapter: A ~ N(0, 1/r^2) as PEFT draws it (torch's stream differs, the spread must not)
        T5Model other = T5Model.load(Fixtures.dir("tiny_flan"));
        LoraModel<T5Model> g = LoraModel.of(other, LoraConfig.of("k", "o").withRank(4).withAlpha(8).withInit(LoraInit.GAUSSIAN), 5);
        List<Double> values = new ArrayList<>();
        for (LoraLinear l : g.layers().values()) {
            for (double v : l.adapter("default").a().value().dup('c').data().asDouble()) values.add(v);
            assertEquals(0.0, l.adapter("default").b().value().amaxNumber().doubleValue(), "B starts at zero");
        }
        assertEquals(info.get("init_A_count").asInt(), values.size());
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double std = Math.sqrt(values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (values.size() - 1));
        System.out.printf("PARITY gaussian init: std of A %.4f here, %.4f in PEFT, 1/r = 0.25%n", std, info.get("init_A_std").asDouble());
        assertEquals(0.25, std, 0.25 * 0.1, "std 1/r within 10% (1,536 draws)");
        assertEquals(info.get("init_A_std").asDouble(), std, 0.25 * 0.1);
        assertEquals("\"gaussian\"", LoraConfigJson.toJson(lora.config("default"), Targets.of("k", "o"), null).get("init_lora_weights").toString());
    }
}
