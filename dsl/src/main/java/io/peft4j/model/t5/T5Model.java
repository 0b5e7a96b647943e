package io.peft4j.model.t5;

import io.peft4j.model.Batch;
import io.peft4j.model.Checkpoint;
import io.peft4j.model.DecodingSession;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Embedding;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.RmsNorm;
import io.peft4j.model.Slot;
import io.peft4j.ops.Buf;
import io.peft4j.ops.CrossEntropy;
import io.peft4j.ops.NativeMemory;

import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * T5 / FLAN-T5 (T5ForConditionalGeneration) with explicit forward and backward passes on ND4J.
 *
 * <p>Structure and names follow Hugging Face: parameters carry state-dict names
 * ({@code encoder.block.0.layer.0.SelfAttention.q.weight}), and every linear module sits in a
 * {@link ProjectionSlot} named like the HF module ({@code decoder.block.1.layer.1.EncDecAttention.v},
 * {@code encoder.block.0.layer.1.DenseReluDense.wi_0}, {@code lm_head}) that PEFT methods may
 * rewire; the model calls linear maps only through those slots.
 *
 * <p>Training: {@link #forwardLoss} then {@link #backward}; only trainable parameters get gradients
 * (a frozen weight gets no dW GEMM, and the encoder's backward is skipped entirely when nothing in
 * it, its embedding or the soft prompt is trainable). Inference: {@link #logits}, {@link #encode},
 * and {@link Generator} for greedy / beam search with a KV cache.
 *
 * <p>The model's float type is FLOAT normally; DOUBLE is supported for gradient checks.
 */
public final class T5Model implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(T5Model.class);
    /** Checkpoint tensors known to be redundant or unused; ignored silently when loading. */
    public static final Set<String> IGNORED_KEYS = Set.of("encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
        "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight");

    private final T5Config config;
    private final DataType dt;
    private final Parameter shared;                                  // [V, d]
    private final Map<String, Parameter> base = new LinkedHashMap<>(); // checkpoint name -> parameter, HF order
    private final List<Object> order = new ArrayList<>();           // Slot or Parameter, in checkpoint order
    private final Map<String, ProjectionSlot> slots = new LinkedHashMap<>();
    final T5Stack encoder, decoder;
    final Slot lmHead;
    private final double headScale;                                  // d^-0.5 when tied, else 1
    private Parameter prefix;                                        // soft prompt [n, d] or null
    private final CrossEntropy ce = new CrossEntropy();
    private final Buf headIn = new Buf(), dEncBuf = new Buf();
    private INDArray lastLogits;                                     // [B*T, V]
    private int lastB, lastT, lastS;
    private boolean haveForward;

    private T5Model(T5Config c, DataType dt) {
        this.config = c; this.dt = dt;
        shared = param("shared.weight", c.vocabSize(), c.dModel());
        encoder = stack(false, new Embedding(shared));    // one lookup per stack (each keeps its own ids),
        decoder = stack(true, new Embedding(shared));     // both reading and accumulating into shared.weight
        if (c.tieWordEmbeddings()) {
            lmHead = new Slot("lm_head", new Linear(shared));
            headScale = Math.pow(c.dModel(), -0.5);
        } else {
            Parameter w = param("lm_head.weight", c.vocabSize(), c.dModel());
            lmHead = new Slot("lm_head", new Linear(w));
            headScale = 1.0;
        }
        order.add(lmHead);
        slots.put("lm_head", lmHead);
    }

    private Parameter param(String name, long... shape) {
        Parameter p = new Parameter(name, Nd4j.zeros(dt, shape), true);
        base.put(name, p);
        order.add(p);
        return p;
    }

    private Slot slot(String module, long out, long in) {
        Parameter w = new Parameter(module + ".weight", Nd4j.zeros(dt, out, in), true);
        base.put(w.name(), w);
        Slot s = new Slot(module, new Linear(w));
        order.add(s);
        slots.put(module, s);
        return s;
    }

    private Attention attention(String prefix, T5Config c) {
        long d = c.dModel(), inner = c.innerDim();
        Slot q = slot(prefix + ".q", inner, d), k = slot(prefix + ".k", inner, d), v = slot(prefix + ".v", inner, d),
            o = slot(prefix + ".o", d, inner);
        return new Attention(q, k, v, o, c.numHeads(), c.dKv(), c.dropoutRate());
    }

    private T5Stack stack(boolean isDecoder, Embedding emb) {
        T5Config c = config;
        String sn = isDecoder ? "decoder" : "encoder";
        int n = isDecoder ? c.numDecoderLayers() : c.numLayers();
        T5Block[] blocks = new T5Block[n];
        RelativePositionBias rel = null;
        for (int i = 0; i < n; i++) {
            String bp = sn + ".block." + i + ".layer.";
            Attention self = attention(bp + "0.SelfAttention", c);
            if (i == 0) rel = new RelativePositionBias(param(bp + "0.SelfAttention.relative_attention_bias.weight",
                c.relativeAttentionNumBuckets(), c.numHeads()), !isDecoder, c.relativeAttentionMaxDistance());
            RmsNorm ln0 = new RmsNorm(param(bp + "0.layer_norm.weight", c.dModel()), c.layerNormEpsilon());
            Attention cross = null;
            RmsNorm ln1 = null;
            int ffLayer = 1;
            if (isDecoder) {
                cross = attention(bp + "1.EncDecAttention", c);
                ln1 = new RmsNorm(param(bp + "1.layer_norm.weight", c.dModel()), c.layerNormEpsilon());
                ffLayer = 2;
            }
            String fp = bp + ffLayer + ".DenseReluDense";
            FeedForward ff;
            if (c.isGatedAct()) {
                Slot wi0 = slot(fp + ".wi_0", c.dFf(), c.dModel()), wi1 = slot(fp + ".wi_1", c.dFf(), c.dModel());
                ff = new FeedForward(wi0, wi1, slot(fp + ".wo", c.dModel(), c.dFf()), c.dropoutRate());
            } else {
                Slot wi = slot(fp + ".wi", c.dFf(), c.dModel());
                ff = new FeedForward(wi, null, slot(fp + ".wo", c.dModel(), c.dFf()), c.dropoutRate());
            }
            RmsNorm lnF = new RmsNorm(param(bp + ffLayer + ".layer_norm.weight", c.dModel()), c.layerNormEpsilon());
            blocks[i] = new T5Block(ln0, self, ln1, cross, lnF, ff, c.dropoutRate());
        }
        RmsNorm fin = new RmsNorm(param(sn + ".final_layer_norm.weight", c.dModel()), c.layerNormEpsilon());
        return new T5Stack(isDecoder, emb, rel, blocks, fin, c.numHeads(), c.dropoutRate());
    }

    // ------------------------------------------------------------------ construction / IO

    /** A randomly initialised float32 model (HF's T5 init; untied lm_head with std d_model^-0.5). */
    public static T5Model fromConfig(T5Config c, long seed) { return fromConfig(c, seed, DataType.FLOAT); }

    /** As {@link #fromConfig(T5Config, long)} in FLOAT or DOUBLE. */
    public static T5Model fromConfig(T5Config c, long seed, DataType dt) {
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) throw new IllegalArgumentException("model type must be FLOAT or DOUBLE, got " + dt);
        T5Model m = new T5Model(c, dt);
        m.initRandom(seed);
        return m;
    }

    private void initRandom(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double f = config.initializerFactor(), d = config.dModel();
        for (Parameter p : base.values()) {
            String n = p.name();
            double std;
            if (n.endsWith("layer_norm.weight")) { p.value().assign(f); continue; }
            if (n.equals("shared.weight")) std = f;
            else if (n.equals("lm_head.weight")) std = Math.pow(d, -0.5);
            else if (n.endsWith(".q.weight")) std = f * Math.pow(d * config.dKv(), -0.5);
            else if (n.endsWith(".o.weight") && n.contains("Attention")) std = f * Math.pow(config.innerDim(), -0.5);
            else if (n.endsWith(".wo.weight")) std = f * Math.pow(config.dFf(), -0.5);
            else std = f * Math.pow(d, -0.5);   // k, v, relative bias, wi, wi_0, wi_1
            float[] a = new float[(int) p.size()];
            for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextGaussian() * std);
            p.value().assign(Nd4j.create(a, p.value().shape(), 'c'));
        }
    }

    /** Loads {@code config.json} and {@code model.safetensors} (or a sharded {@code model.safetensors.index.json}). */
    public static T5Model load(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new FileFormatException(cfg, "missing (not a model folder)");
        T5Config config = T5Config.fromJson(cfg);
        List<Path> files = Checkpoint.weightFiles(dir);
        Checkpoint.checkSize(cfg, config::parameterCount, files);
        T5Model m = new T5Model(config, DataType.FLOAT);
        List<String> unexpected = Checkpoint.load(files, m.base, IGNORED_KEYS::contains);
        if (!unexpected.isEmpty()) LOG.warn("{}: ignoring {} unexpected tensor(s): {}", dir, unexpected.size(), unexpected);
        return m;
    }

    /** Writes {@code config.json} and {@code model.safetensors} (base weights, HF names), each atomically. */
    @Override public void save(Path dir, SafeTensors.Dtype storage) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new FileFormatException(dir, "cannot create folder: " + e.getMessage(), e);
        }
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (Parameter p : base.values()) t.put(p.name(), p.value().castTo(DataType.FLOAT));
        SafeTensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"), storage);
        AtomicFiles.writeString(dir.resolve("config.json"), config.toJson().toPrettyString() + "\n");
    }

    // ------------------------------------------------------------------ accessors

    @Override public String family() { return "t5"; }
    @Override public boolean encoderDecoder() { return true; }
    @Override public int vocabSize() { return config.vocabSize(); }
    @Override public String describe() {
        return "T5, d_model " + config.dModel() + ", " + config.numLayers() + "+" + config.numDecoderLayers() + " layers";
    }
    @Override public Map<String, List<String>> targetAliases() { return io.peft4j.peft.TargetResolver.T5_ALIASES; }
    @Override public GenerationConfig defaultGeneration() {
        return GenerationConfig.defaults(config.eosTokenId(), config.padTokenId(), config.decoderStartTokenId(), true);
    }
    @Override public DecodingSession startDecoding(int[][] ids, int[][] mask, int copies, int maxNewTokens) {
        return new T5Decoding(this, ids, mask, copies, maxNewTokens);
    }

    /** A deep copy of the base weights (no adapters, no soft prompt). */
    @Override public T5Model copy() {
        T5Model m = new T5Model(config, dt);
        for (Parameter p : base.values()) m.base.get(p.name()).value().assign(p.value());
        return m;
    }

    public T5Config config() { return config; }
    @Override public DataType dataType() { return dt; }
    /** The shared token embedding {@code shared.weight} [V, d]. */
    public Parameter sharedEmbedding() { return shared; }
    /** Base (checkpoint) parameters by state-dict name, independent of what sits in the slots. */
    @Override public Map<String, Parameter> baseParameters() { return Collections.unmodifiableMap(base); }

    @Override public List<Parameter> parameters() {
        LinkedHashSet<Parameter> out = new LinkedHashSet<>();
        for (Object o : order) {
            if (o instanceof Parameter p) out.add(p);
            else out.addAll(((Slot) o).get().parameters());
        }
        if (prefix != null) out.add(prefix);
        return new ArrayList<>(out);
    }

    @Override public Map<String, ProjectionSlot> projections() { return Collections.unmodifiableMap(slots); }

    /** Marks every parameter (base weights, whatever the slots hold, the prefix) trainable or frozen. */
    public void setAllTrainable(boolean trainable) {
        for (Parameter p : parameters()) p.setTrainable(trainable);
    }

    /** Zeroes every existing gradient buffer. */
    public void zeroGrad() { for (Parameter p : parameters()) p.zeroGrad(); }

    /** Sets (or with null removes) a soft prompt [n, d_model] prepended to every row's encoder input. */
    public void setEncoderPrefix(Parameter prefix) {
        if (prefix != null && (prefix.value().rank() != 2 || prefix.value().size(1) != config.dModel() || prefix.value().dataType() != dt))
            throw new IllegalArgumentException("encoder prefix must be [n, " + config.dModel() + "] of type " + dt
                + ", got " + Arrays.toString(prefix.value().shape()) + " " + prefix.value().dataType());
        this.prefix = prefix;
    }

    public Parameter encoderPrefix() { return prefix; }

    // ------------------------------------------------------------------ forward / backward

    /** Checks ids, mask and labels; throws an IllegalArgumentException naming the bad value. */
    public void validate(Batch batch) {
        validateInputs(batch.inputIds(), batch.attentionMask());
        int[][] labels = batch.labels();
        int w = -1;
        for (int b = 0; b < labels.length; b++) {
            if (labels[b] == null) throw new IllegalArgumentException("labels[" + b + "] is missing");
            if (w < 0) w = labels[b].length;
            else if (labels[b].length != w)
                throw new IllegalArgumentException("labels rows differ in length: row 0 has " + w + ", row " + b + " has " + labels[b].length);
            for (int t = 0; t < labels[b].length; t++) {
                int v = labels[b][t];
                if (v != CrossEntropy.IGNORE && (v < 0 || v >= config.vocabSize()))
                    throw new IllegalArgumentException("labels[" + b + "][" + t + "] = " + v
                        + " is outside the vocabulary [0, " + config.vocabSize() + ") and is not -100");
            }
        }
        if (w == 0) throw new IllegalArgumentException("labels has empty rows");
    }

    void validateInputs(int[][] ids, int[][] mask) {
        Embedding.validate(ids, config.vocabSize(), "input_ids");
        if (ids.length == 0) throw new IllegalArgumentException("input_ids has no rows (empty batch)");
        if (mask == null || mask.length != ids.length)
            throw new IllegalArgumentException("attention_mask must have " + ids.length + " rows");
        for (int b = 0; b < mask.length; b++) {
            if (mask[b] == null || mask[b].length != ids[b].length)
                throw new IllegalArgumentException("attention_mask[" + b + "] must have length " + ids[b].length);
            for (int t = 0; t < mask[b].length; t++)
                if (mask[b][t] != 0 && mask[b][t] != 1)
                    throw new IllegalArgumentException("attention_mask[" + b + "][" + t + "] = " + mask[b][t] + " (must be 0 or 1)");
        }
    }

    /** transformers' shift_right: [start] + labels[:-1], with -100 replaced by pad. */
    public int[][] shiftRight(int[][] labels) {
        int[][] out = new int[labels.length][];
        for (int b = 0; b < labels.length; b++) {
            int[] r = new int[labels[b].length];
            r[0] = config.decoderStartTokenId();
            for (int t = 1; t < r.length; t++) {
                int v = labels[b][t - 1];
                r[t] = v == CrossEntropy.IGNORE ? config.padTokenId() : v;
            }
            out[b] = r;
        }
        return out;
    }

    @Override public double forwardLoss(Batch batch, ForwardContext ctx) {
        validate(batch);
        NativeMemory.collectOccasionally();
        INDArray logits = forwardLogits(batch.inputIds(), batch.attentionMask(), shiftRight(batch.labels()), ctx);
        double loss = ce.forward(logits, T5Stack.flatten(batch.labels()));
        haveForward = true;
        return loss;
    }

    private INDArray forwardLogits(int[][] ids, int[][] mask, int[][] decIds, ForwardContext ctx) {
        haveForward = false;
        INDArray enc = encoder.forward(ids, mask, prefix, null, 0, null, ctx);
        int s = encoder.length();
        INDArray dec = decoder.forward(decIds, null, null, enc, s, encoder.keyMask(), ctx);
        lastB = ids.length; lastS = s; lastT = decIds[0].length;
        INDArray hs = dec;
        if (headScale != 1.0) hs = headIn.get(dt, dec.shape()).assign(dec).muli(headScale);
        lastLogits = lmHead.get().forward(hs, ctx);
        return lastLogits;
    }

    @Override public void backward() {
        if (!haveForward) throw new IllegalStateException("backward() needs a preceding forwardLoss()");
        haveForward = false;
        INDArray dh = lmHead.get().backward(ce.backward());
        if (headScale != 1.0) dh = dh.mul(headScale);
        INDArray dEnc = dEncBuf.zeros(dt, (long) lastB * lastS, config.dModel());
        decoder.backward(dh, dEnc);
        if (encoderNeedsGrad()) encoder.backward(dEnc, null);
    }

    private boolean encoderNeedsGrad() {
        if (shared.trainable() || (prefix != null && prefix.trainable())) return true;
        for (Object o : order) {
            if (o instanceof Parameter p) {
                if (p.name().startsWith("encoder.") && p.trainable()) return true;
            } else {
                Slot s = (Slot) o;
                if (s.name().startsWith("encoder."))
                    for (Parameter p : s.get().parameters()) if (p.trainable()) return true;
            }
        }
        return false;
    }

    /** Logits [B, T, V] of the last forward (a copy). */
    @Override public INDArray lastLogits() {
        if (lastLogits == null) throw new IllegalStateException("no forward pass yet");
        return lastLogits.dup('c').reshape(lastB, lastT, config.vocabSize());
    }

    /** Inference-mode logits [B, T, V] for the batch's labels shifted right (decoder padding unmasked, as transformers). */
    @Override public INDArray logits(Batch batch) {
        validate(batch);
        forwardLogits(batch.inputIds(), batch.attentionMask(), shiftRight(batch.labels()), ForwardContext.inference());
        return lastLogits();
    }

    /** Inference-mode encoder output [B, n + S, d] (n = soft-prompt length, 0 without one). */
    public INDArray encode(int[][] ids, int[][] mask) {
        validateInputs(ids, mask);
        haveForward = false;
        INDArray enc = encoder.forward(ids, mask, prefix, null, 0, null, ForwardContext.inference());
        return enc.dup('c').reshape(ids.length, encoder.length(), config.dModel());
    }

    /** Encoder output [B*(n+S), d] (internal buffer) and the effective key mask, for generation. */
    INDArray encodeInternal(int[][] ids, int[][] mask) {
        validateInputs(ids, mask);
        haveForward = false;
        return encoder.forward(ids, mask, prefix, null, 0, null, ForwardContext.inference()).dup('c');
    }

    int[][] encoderKeyMask() { return encoder.keyMask(); }
    int encoderLength() { return encoder.length(); }
    double headScale() { return headScale; }
}
