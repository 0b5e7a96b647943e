package io.peft4j.model.llama;

import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.Checkpoint;
import io.peft4j.model.DecodingSession;
import io.peft4j.model.Embedding;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.RmsNorm;
import io.peft4j.model.Slot;
import io.peft4j.model.causal.CausalAttention;
import io.peft4j.model.causal.CausalDecoding;
import io.peft4j.model.causal.CausalInputs;
import io.peft4j.model.causal.CausalLmLoss;
import io.peft4j.model.causal.KvCache;
import io.peft4j.ops.Fast;
import io.peft4j.ops.NativeMemory;

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
 * Llama-shaped decoder-only language models ({@code LlamaForCausalLM}, {@code MistralForCausalLM},
 * {@code Qwen2ForCausalLM}) with explicit forward and backward passes on ND4J.
 *
 * <p>Structure and names follow Hugging Face: parameters carry state-dict names
 * ({@code model.layers.0.self_attn.q_proj.weight}, {@code model.embed_tokens.weight},
 * {@code model.norm.weight}, {@code lm_head.weight}); every linear module sits in a
 * {@link ProjectionSlot} named like the HF module ({@code model.layers.1.mlp.gate_proj}, ...,
 * {@code lm_head} last) that PEFT methods may rewire. With {@code tie_word_embeddings} the LM head
 * multiplies by the embedding matrix itself (one parameter, gradients from both uses).
 *
 * <p>Per layer: RMSNorm, attention (q/k/v projections with optional bias, rotary embeddings,
 * grouped-query attention through the shared {@link CausalAttention} core, o projection), residual,
 * RMSNorm, SwiGLU MLP, residual; then a final RMSNorm and the LM head. The loss is transformers'
 * shifted causal-LM loss ({@link CausalLmLoss}). Position ids follow transformers: a plain forward
 * uses {@code 0..T-1} on every row (pads included), decoding derives them from the attention mask
 * ({@link CausalDecoding}).
 *
 * <p>Training: {@link #forwardLoss} then {@link #backward}; a frozen weight gets no dW GEMM, and
 * layers below the lowest one holding a trainable parameter are not back-propagated at all (when
 * the embedding is frozen). When few positions carry a label (a prompt masked with -100), a
 * training forward runs the final norm, LM head and loss only at those positions
 * ({@link #SCORED_ONLY_BELOW}). Float type FLOAT normally; DOUBLE for gradient checks.
 */
public final class LlamaModel implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    private final LlamaConfig config;
    private final DataType dt;
    private final Parameter embedWeight;                              // [V, d]
    private final Embedding embed;
    private final Map<String, Parameter> base = new LinkedHashMap<>(); // checkpoint name -> parameter, HF order
    private final List<Object> order = new ArrayList<>();            // Slot or Parameter, in checkpoint order
    private final Map<String, ProjectionSlot> slots = new LinkedHashMap<>();
    private final List<List<Object>> layerMembers = new ArrayList<>(); // per layer: its slots and parameters
    final LlamaLayer[] layers;
    final RmsNorm norm;
    final Slot lmHead;
    private final CausalLmLoss loss = new CausalLmLoss();
    private INDArray lastLogits;                                     // [B*T, V], or [scored.length, V]
    private int lastB, lastT;
    private int[] scored;                                            // flat positions of lastLogits' rows; null: every position
    private boolean haveForward;
    private final io.peft4j.ops.Buf headIn = new io.peft4j.ops.Buf(), dHidden = new io.peft4j.ops.Buf();

    /**
     * A training forward computes the final norm and LM head only at the positions whose target
     * counts when at most this share of the positions counts (prompt-masked fine-tuning: the rows
     * are gathered before the norm, their gradient scattered back; the other positions' logits
     * have zero gradient, so the result is the same).
     */
    static final double SCORED_ONLY_BELOW = 0.9;
    private double scoredOnlyBelow = SCORED_ONLY_BELOW;

    /** Tests: the share below which training forwards take the scored-positions path (0: never). */
    void scoredOnlyBelow(double share) { scoredOnlyBelow = share; }

    private LlamaModel(LlamaConfig c, DataType dt) {
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) throw new IllegalArgumentException("model type must be FLOAT or DOUBLE, got " + dt);
        this.config = c; this.dt = dt;
        embedWeight = param("model.embed_tokens.weight", null, c.vocabSize(), c.hiddenSize());
        embed = new Embedding(embedWeight);
        RotaryEmbedding rope = new RotaryEmbedding(c.rope(), c.headDim());
        layers = new LlamaLayer[c.numHiddenLayers()];
        int d = c.hiddenSize();
        for (int i = 0; i < layers.length; i++) {
            List<Object> members = new ArrayList<>();
            layerMembers.add(members);
            String p = "model.layers." + i + ".";
            RmsNorm in = new RmsNorm(param(p + "input_layernorm.weight", members, d), c.rmsNormEps());
            Slot q = slot(p + "self_attn.q_proj", members, c.qDim(), d, c.qkvBias());
            Slot k = slot(p + "self_attn.k_proj", members, c.kvDim(), d, c.qkvBias());
            Slot v = slot(p + "self_attn.v_proj", members, c.kvDim(), d, c.qkvBias());
            Slot o = slot(p + "self_attn.o_proj", members, d, c.qDim(), c.oBias());
            CausalAttention core = new CausalAttention(c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(),
                c.attentionDropout(), c.windowOf(i), Math.pow(c.headDim(), -0.5));
            RmsNorm post = new RmsNorm(param(p + "post_attention_layernorm.weight", members, d), c.rmsNormEps());
            Slot gate = slot(p + "mlp.gate_proj", members, c.intermediateSize(), d, c.mlpBias());
            Slot up = slot(p + "mlp.up_proj", members, c.intermediateSize(), d, c.mlpBias());
            Slot down = slot(p + "mlp.down_proj", members, d, c.intermediateSize(), c.mlpBias());
            layers[i] = new LlamaLayer(in, new LlamaAttention(q, k, v, o, rope, core), post, new LlamaMlp(gate, up, down));
        }
        for (int i = 1; i < layers.length; i++) layers[i].shareBackwardBuffers(layers[0]);
        norm = new RmsNorm(param("model.norm.weight", null, d), c.rmsNormEps());
        lmHead = new Slot("lm_head", new Linear(c.tieWordEmbeddings() ? embedWeight : param("lm_head.weight", null, c.vocabSize(), d)));
        order.add(lmHead);
        slots.put("lm_head", lmHead);
    }

    private Parameter param(String name, List<Object> members, long... shape) {
        Parameter p = new Parameter(name, Nd4j.zeros(dt, shape), true);
        base.put(name, p);
        order.add(p);
        if (members != null) members.add(p);
        return p;
    }

    private Slot slot(String module, List<Object> members, long out, long in, boolean bias) {
        Parameter w = new Parameter(module + ".weight", Nd4j.zeros(dt, out, in), true);
        base.put(w.name(), w);
        Parameter b = null;
        if (bias) {
            b = new Parameter(module + ".bias", Nd4j.zeros(dt, out), true);
            base.put(b.name(), b);
        }
        Slot s = new Slot(module, new Linear(w, b));
        order.add(s);
        members.add(s);
        slots.put(module, s);
        return s;
    }

    // ------------------------------------------------------------------ construction / IO

    /** A randomly initialised float32 model (transformers' init: normal(0, 0.02) weights and embeddings, zero biases, unit norms). */
    public static LlamaModel fromConfig(LlamaConfig c, long seed) { return fromConfig(c, seed, DataType.FLOAT, 0.02); }

    /** As {@link #fromConfig(LlamaConfig, long)} in FLOAT or DOUBLE with weights of standard deviation {@code std}. */
    public static LlamaModel fromConfig(LlamaConfig c, long seed, DataType dt, double std) {
        LlamaModel m = new LlamaModel(c, dt);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Parameter p : m.base.values()) {
            if (p.name().endsWith("norm.weight")) { p.value().assign(1.0); continue; }
            if (p.name().endsWith(".bias")) continue;
            double[] a = new double[(int) p.size()];
            for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian() * std;
            p.value().assign(Nd4j.create(a, p.value().shape(), 'c').castTo(dt));
        }
        return m;
    }

    /** Checkpoint tensors that Llama-shaped models carry but do not use (old rotary buffers). */
    static boolean ignorable(String key, LlamaConfig c) {
        return key.endsWith(".rotary_emb.inv_freq") || (c.tieWordEmbeddings() && key.equals("lm_head.weight"));
    }

    /**
     * Loads {@code config.json} and {@code model.safetensors} (or the shards of
     * {@code model.safetensors.index.json}; F32, F16 or BF16) in float32.
     */
    public static LlamaModel load(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new FileFormatException(cfg, "missing (not a model folder)");
        LlamaConfig config = LlamaConfig.fromJson(cfg);
        List<Path> files = Checkpoint.weightFiles(dir);
        Checkpoint.checkSize(cfg, config::parameterCount, files);
        LlamaModel m = new LlamaModel(config, DataType.FLOAT);
        List<String> unexpected = Checkpoint.load(files, m.base, k -> ignorable(k, config));
        if (!unexpected.isEmpty()) LOG.warn("{}: ignoring {} unexpected tensor(s): {}", dir, unexpected.size(), unexpected);
        return m;
    }

    /**
     * Writes {@code config.json} (transformers-4.x style, {@code torch_dtype} naming the storage) and
     * {@code model.safetensors} (base weights under HF names; a tied model stores no
     * {@code lm_head.weight}), each atomically.
     */
    @Override public void save(Path dir, SafeTensors.Dtype storage) {
        String torchDtype = switch (storage) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("storage dtype " + storage + " is not a floating storage type (use F32, F16 or BF16)");
        };
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new FileFormatException(dir, "cannot create folder: " + e.getMessage(), e);
        }
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (Parameter p : base.values()) t.put(p.name(), p.value().castTo(DataType.FLOAT));
        SafeTensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"), storage);
        AtomicFiles.writeString(dir.resolve("config.json"), config.withTorchDtype(torchDtype).toJson().toPrettyString() + "\n");
    }

    // ------------------------------------------------------------------ accessors

    public LlamaConfig config() { return config; }
    @Override public String family() { return config.modelType(); }
    @Override public boolean encoderDecoder() { return false; }
    @Override public int vocabSize() { return config.vocabSize(); }
    @Override public DataType dataType() { return dt; }

    @Override public String describe() {
        LlamaConfig c = config;
        return c.architecture().replace("ForCausalLM", "") + ", hidden " + c.hiddenSize() + ", " + c.numHiddenLayers() + " layers, "
            + c.numAttentionHeads() + " heads (" + c.numKeyValueHeads() + " key/value) of " + c.headDim() + ", vocab " + c.vocabSize()
            + (c.tieWordEmbeddings() ? ", tied" : "");
    }

    /** PEFT module-name suffixes behind peft4j's short target names. */
    public static final Map<String, List<String>> ALIASES = aliases();

    private static Map<String, List<String>> aliases() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String p : List.of("q", "k", "v", "o")) m.put("attn." + p, List.of(p + "_proj"));
        for (String p : List.of("gate", "up", "down")) m.put("ffn." + p, List.of(p + "_proj"));
        m.put("ffn.wi", List.of("gate_proj", "up_proj"));
        m.put("ffn.wo", List.of("down_proj"));
        return Collections.unmodifiableMap(m);
    }

    @Override public Map<String, List<String>> targetAliases() { return ALIASES; }

    /**
     * Greedy, 20 new tokens, ending on any {@code eos_token_id} of the config; padding with
     * {@code pad_token_id}, or the first eos id when the config has none (as transformers does).
     */
    @Override public GenerationConfig defaultGeneration() {
        List<Integer> eos = config.eosTokenIds();
        int pad = config.padTokenId() != null ? config.padTokenId() : eos.isEmpty() ? 0 : eos.get(0);
        GenerationConfig g = GenerationConfig.defaults(eos.isEmpty() ? -1 : eos.get(0), pad, 0, false);
        return eos.size() > 1 ? g.withEosTokenIds(eos) : g;
    }

    @Override public Map<String, Parameter> baseParameters() { return Collections.unmodifiableMap(base); }

    @Override public List<Parameter> parameters() {
        LinkedHashSet<Parameter> out = new LinkedHashSet<>();
        for (Object o : order) {
            if (o instanceof Parameter p) out.add(p);
            else out.addAll(((Slot) o).get().parameters());
        }
        return new ArrayList<>(out);
    }

    @Override public Map<String, ProjectionSlot> projections() { return Collections.unmodifiableMap(slots); }

    /** A deep copy of the base weights (no adapters). */
    @Override public LlamaModel copy() {
        LlamaModel m = new LlamaModel(config, dt);
        for (Parameter p : base.values()) m.base.get(p.name()).value().assign(p.value());
        return m;
    }

    // ------------------------------------------------------------------ forward / backward

    /** Checks ids, mask and labels; throws an IllegalArgumentException naming the bad value. */
    public void validate(Batch batch) { CausalInputs.validate(batch, config.vocabSize()); }

    @Override public double forwardLoss(Batch batch, ForwardContext ctx) {
        validate(batch);
        NativeMemory.collectOccasionally();
        int[][] ids = batch.inputIds();
        int[] rows = ctx.training() ? CausalLmLoss.scoredRows(batch.labels()) : null;
        double l;
        if (rows != null && rows.length > 0 && rows.length <= scoredOnlyBelow * ids.length * ids[0].length) {
            INDArray x = hidden(ids, batch.attentionMask(), ctx);
            INDArray h = gatherRows(x, rows);
            lastLogits = lmHead.get().forward(norm.forward(h), ctx);
            scored = rows;
            l = loss.forwardRows(lastLogits, batch.labels(), rows);
        } else {
            INDArray logits = forwardLogits(ids, batch.attentionMask(), ctx);
            l = loss.forward(logits, batch.labels());
        }
        haveForward = true;
        return l;
    }

    /** The last layer's output [B*T, d] (a buffer of that layer). */
    private INDArray hidden(int[][] ids, int[][] mask, ForwardContext ctx) {
        haveForward = false;
        scored = null;
        lastLogits = null;
        int B = ids.length, T = ids[0].length;
        int[] pos = CausalInputs.sequentialPositions(B, T);
        int[][] keyMask = allOnes(mask) ? null : mask;
        INDArray x = embed.forward(CausalInputs.flatten(ids));
        for (LlamaLayer layer : layers) x = layer.forward(x, B, T, pos, keyMask, ctx);
        lastB = B; lastT = T;
        return x;
    }

    private INDArray forwardLogits(int[][] ids, int[][] mask, ForwardContext ctx) {
        INDArray x = hidden(ids, mask, ctx);
        lastLogits = lmHead.get().forward(norm.forward(x), ctx);
        return lastLogits;
    }

    /** Rows {@code rows} of x [N, d] as a dense [rows.length, d] array (a buffer of this model). */
    private INDArray gatherRows(INDArray x, int[] rows) {
        INDArray out = headIn.get(x.dataType(), rows.length, (int) x.size(1));
        copyRows(x, out, rows, true);
        return out;
    }

    /** g [rows.length, d] placed at rows {@code rows} of a zero [n, d] array (a buffer of this model). */
    private INDArray scatterRows(INDArray g, int[] rows, int n) {
        INDArray out = dHidden.zeros(g.dataType(), n, (int) g.size(1));
        copyRows(g, out, rows, false);
        return out;
    }

    /** Row i of the compact side is row {@code rows[i]} of the full side: dst[i] = src[rows[i]] (gather) or dst[rows[i]] = src[i]. */
    private static void copyRows(INDArray src, INDArray dst, int[] rows, boolean gather) {
        int d = (int) src.size(1);
        if (Fast.dense(src) && Fast.plain(dst)) {
            java.nio.FloatBuffer from = Fast.fb(src), to = Fast.fb(dst);
            float[] row = new float[d];
            for (int i = 0; i < rows.length; i++) {
                from.get((gather ? rows[i] : i) * d, row, 0, d);      // dense: length <= Integer.MAX_VALUE
                to.put((gather ? i : rows[i]) * d, row, 0, d);
            }
        } else {
            for (int i = 0; i < rows.length; i++) dst.putRow(gather ? i : rows[i], src.getRow(gather ? rows[i] : i));
        }
    }

    private static boolean allOnes(int[][] mask) {
        for (int[] r : mask) for (int v : r) if (v != 1) return false;
        return true;
    }

    @Override public void backward() {
        if (!haveForward) throw new IllegalStateException("backward() needs a preceding forwardLoss()");
        haveForward = false;
        INDArray g = norm.backward(lmHead.get().backward(loss.backward()));
        if (scored != null) g = scatterRows(g, scored, lastB * lastT);
        int lowest = lowestLayerNeedingGrad();
        for (int i = layers.length - 1; i >= lowest && i >= 0; i--) g = layers[i].backward(g);
        if (lowest < 0) embed.backward(g);
    }

    /** -1 when the embedding is trainable (every layer must pass gradients down), else the lowest layer with a trainable parameter. */
    private int lowestLayerNeedingGrad() {
        if (embedWeight.trainable()) return -1;
        for (int i = 0; i < layers.length; i++)
            for (Object o : layerMembers.get(i)) {
                if (o instanceof Parameter p) { if (p.trainable()) return i; }
                else for (Parameter p : ((Slot) o).get().parameters()) if (p.trainable()) return i;
            }
        return layers.length;
    }

    /**
     * Logits [B, T, V] of the last {@link #forwardLoss} (a copy). A training-mode forward that
     * computed the LM head only at the scored positions ({@link #SCORED_ONLY_BELOW}) has no logits for
     * the others: this throws then; {@link #logits} or an inference-mode forward gives every position.
     */
    @Override public INDArray lastLogits() {
        if (scored != null)
            throw new IllegalStateException("the last forward was a training pass that computed logits only at the " + scored.length
                + " of " + lastB * lastT + " positions with a counted label; use logits(batch) or an inference-mode forwardLoss for every position");
        if (lastLogits == null) throw new IllegalStateException("no forward pass yet");
        return lastLogits.dup('c').reshape(lastB, lastT, config.vocabSize());
    }

    /** Inference-mode logits [B, T, V] (positions 0..T-1 on every row, padding masked as keys). */
    @Override public INDArray logits(Batch batch) {
        validate(batch);
        forwardLogits(batch.inputIds(), batch.attentionMask(), ForwardContext.inference());
        return lastLogits();
    }

    // ------------------------------------------------------------------ decoding

    @Override public DecodingSession startDecoding(int[][] ids, int[][] mask, int copies, int maxNewTokens) {
        CausalInputs.validateInputs(ids, mask, config.vocabSize());
        haveForward = false;
        int n = ids.length * copies;
        return new CausalDecoding(ids, mask, copies, maxNewTokens, new Steps(n, copies, CausalDecoding.capacity(ids[0].length, maxNewTokens)));
    }

    /** The model side of a decoding session: one KV cache per layer. */
    private final class Steps implements CausalDecoding.Steps {
        private final KvCache[] caches;
        private final int copies;

        Steps(int n, int copies, int capacity) {
            this.copies = copies;
            caches = new KvCache[layers.length];
            for (int i = 0; i < layers.length; i++) caches[i] = layers[i].attn.core.newCache(dt, n, capacity);
        }

        @Override public INDArray prefill(int[][] ids, int[][] mask, int[][] positions) {
            int B = ids.length, S = ids[0].length;
            int[] pos = CausalInputs.flatten(positions);
            int[][] keyMask = allOnes(mask) ? null : mask;
            INDArray x = embed.forward(CausalInputs.flatten(ids));
            for (int i = 0; i < layers.length; i++) x = layers[i].prefill(x, B, S, pos, keyMask, caches[i], copies);
            int[] last = new int[B];
            for (int b = 0; b < B; b++) last[b] = b * S + S - 1;
            INDArray h = Nd4j.pullRows(x, 1, last);
            return lmHead.get().forward(norm.forward(h), ForwardContext.inference());
        }

        @Override public INDArray step(int[] tokens, int[] positions, int[][] keyMask) {
            INDArray x = embed.forward(tokens);
            for (int i = 0; i < layers.length; i++) x = layers[i].step(x, positions, caches[i], keyMask);
            return lmHead.get().forward(norm.forward(x), ForwardContext.inference());
        }

        @Override public void reorder(int[] rows) { for (KvCache c : caches) c.reorder(rows); }
    }
}
