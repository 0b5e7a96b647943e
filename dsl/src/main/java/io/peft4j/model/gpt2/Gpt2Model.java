package io.peft4j.model.gpt2;

import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Batch;
import io.peft4j.model.Checkpoint;
import io.peft4j.model.DecodingSession;
import io.peft4j.model.Dropout;
import io.peft4j.model.Embedding;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.LayerNorm;
import io.peft4j.model.Linear;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.Slot;
import io.peft4j.model.causal.CausalAttention;
import io.peft4j.model.causal.CausalDecoding;
import io.peft4j.model.causal.CausalInputs;
import io.peft4j.model.causal.CausalLmLoss;
import io.peft4j.model.causal.KvCache;
import io.peft4j.ops.Buf;
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
 * GPT-2 ({@code GPT2LMHeadModel}, {@code model_type "gpt2"}) with explicit forward and backward
 * passes on ND4J.
 *
 * <p>Structure and names follow transformers: token embeddings {@code transformer.wte}, learned
 * position embeddings {@code transformer.wpe}, embedding dropout, blocks {@code transformer.h.N}
 * (pre-norm LayerNorms {@code ln_1}/{@code ln_2}, attention with the fused q/k/v projection
 * {@code attn.c_attn} and {@code attn.c_proj}, MLP {@code mlp.c_fc} - gelu_new - {@code mlp.c_proj}),
 * the final {@code transformer.ln_f} and {@code lm_head}, tied to {@code wte} unless
 * {@code tie_word_embeddings} is false. Every linear module sits in a {@link ProjectionSlot} named as
 * the transformers module, which PEFT methods may rewire.
 *
 * <p>Weights: transformers' {@code Conv1D} stores its weight {@code [in, out]}; peft4j holds every
 * projection as a {@link Linear} {@code [out, in]}, so {@link #load} transposes those four kinds of
 * weight and {@link #save} transposes them back (transformers loads what peft4j saves). Parameters
 * keep the state-dict names. Checkpoints written by {@code GPT2LMHeadModel} ({@code transformer.}
 * prefix) and by {@code GPT2Model} (no prefix, as the original {@code openai-community/gpt2} files)
 * both load; the legacy {@code attn.bias}/{@code attn.masked_bias} buffers are ignored.
 *
 * <p>Positions follow transformers: a plain forward ({@link #forwardLoss}, {@link #logits}) uses
 * {@code 0..T-1} on every row, pads included; decoding ({@link #startDecoding}) derives them from
 * the attention mask, so a left-padded prompt generates as if it were not padded. Positions must stay
 * below {@code n_positions} (an error says so otherwise). Loss: transformers' shifted causal-LM loss.
 *
 * <p>Training: {@link #forwardLoss} then {@link #backward}; only trainable parameters get gradients,
 * a frozen weight gets no dW product, and blocks below the lowest trainable parameter are not
 * back-propagated at all. Float type FLOAT normally, DOUBLE for gradient checks.
 */
public final class Gpt2Model implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(Gpt2Model.class);
    static final String P = "transformer.";

    /** GPT-2's short target names and the PEFT module-name suffixes each stands for. */
    public static final Map<String, List<String>> ALIASES = aliases();

    private static Map<String, List<String>> aliases() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String p : List.of("q", "k", "v")) m.put("attn." + p, List.of("c_attn"));   // fused: q, k and v together
        m.put("attn.o", List.of("attn.c_proj"));
        m.put("ffn.wi", List.of("c_fc"));
        m.put("ffn.wo", List.of("mlp.c_proj"));
        return Collections.unmodifiableMap(m);
    }

    private final Gpt2Config config;
    private final DataType dt;
    private final Map<String, Parameter> base = new LinkedHashMap<>();   // state-dict name -> parameter, checkpoint order
    private final Set<String> conv1d = new LinkedHashSet<>();            // parameter names stored [in, out] in checkpoints
    private final List<Object> order = new ArrayList<>();                // Slot or Parameter, in checkpoint order
    private final Map<String, ProjectionSlot> slots = new LinkedHashMap<>();
    private final Parameter wteW, wpeW;                                  // [V, d], [n_positions, d]
    private final Embedding wte, wpe;
    private final Dropout embdDrop;
    final Gpt2Block[] blocks;
    private final LayerNorm lnF;
    final Slot lmHead;
    private final CausalLmLoss loss = new CausalLmLoss();
    private final Buf embB = new Buf(), stepEmb = new Buf();
    private INDArray lastLogits;                                         // [B*T, V]
    private int lastB, lastT;
    private boolean haveForward;

    private Gpt2Model(Gpt2Config c, DataType dt) {
        this.config = c; this.dt = dt;
        long d = c.nEmbd(), ff = c.innerDim();
        wteW = param(P + "wte.weight", c.vocabSize(), d);
        wpeW = param(P + "wpe.weight", c.nPositions(), d);
        wte = new Embedding(wteW);
        wpe = new Embedding(wpeW);
        embdDrop = new Dropout(c.embdPdrop());
        blocks = new Gpt2Block[c.nLayer()];
        for (int i = 0; i < c.nLayer(); i++) {
            String bp = P + "h." + i + ".";
            LayerNorm ln1 = layerNorm(bp + "ln_1", d);
            Slot cAttn = slot(bp + "attn.c_attn", 3 * d, d), cProj = slot(bp + "attn.c_proj", d, d);
            CausalAttention core = new CausalAttention(c.nHead(), c.nHead(), c.headDim(), c.attnPdrop(), 0, c.attentionScale(i));
            Gpt2Attention attn = new Gpt2Attention(cAttn, cProj, core, c.nEmbd());
            LayerNorm ln2 = layerNorm(bp + "ln_2", d);
            Gpt2Mlp mlp = new Gpt2Mlp(slot(bp + "mlp.c_fc", ff, d), slot(bp + "mlp.c_proj", d, ff));
            blocks[i] = new Gpt2Block(ln1, attn, ln2, mlp, c.residPdrop());
        }
        for (int i = 1; i < blocks.length; i++) blocks[i].shareBackwardBuffers(blocks[0]);
        lnF = layerNorm(P + "ln_f", d);
        lmHead = new Slot("lm_head", new Linear(c.tieWordEmbeddings() ? wteW : param("lm_head.weight", c.vocabSize(), d)));
        order.add(lmHead);
        slots.put("lm_head", lmHead);
    }

    private Parameter param(String name, long... shape) {
        Parameter p = new Parameter(name, Nd4j.zeros(dt, shape), true);
        base.put(name, p);
        order.add(p);
        return p;
    }

    private LayerNorm layerNorm(String module, long d) {
        return new LayerNorm(param(module + ".weight", d), param(module + ".bias", d), config.layerNormEpsilon());
    }

    /** A Conv1D module as a Linear [out, in] with bias [out]. */
    private Slot slot(String module, long out, long in) {
        Parameter w = new Parameter(module + ".weight", Nd4j.zeros(dt, out, in), true);
        Parameter b = new Parameter(module + ".bias", Nd4j.zeros(dt, out), true);
        base.put(w.name(), w);
        base.put(b.name(), b);
        conv1d.add(w.name());
        Slot s = new Slot(module, new Linear(w, b));
        order.add(s);
        slots.put(module, s);
        return s;
    }

    // ------------------------------------------------------------------ construction / IO

    /** A randomly initialised float32 model (transformers' GPT-2 init). */
    public static Gpt2Model fromConfig(Gpt2Config c, long seed) { return fromConfig(c, seed, DataType.FLOAT); }

    /**
     * As {@link #fromConfig(Gpt2Config, long)} in FLOAT or DOUBLE: weights normal(0, initializer_range),
     * {@code c_proj} weights divided by {@code sqrt(2 n_layer)}, biases 0, layer norms 1 and 0.
     */
    public static Gpt2Model fromConfig(Gpt2Config c, long seed, DataType dt) {
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) throw new IllegalArgumentException("model type must be FLOAT or DOUBLE, got " + dt);
        Gpt2Model m = new Gpt2Model(c, dt);
        SplittableRandom rnd = new SplittableRandom(seed);
        double std = c.initializerRange();
        for (Parameter p : m.base.values()) {
            String n = p.name();
            boolean ln = n.contains(".ln_");
            if (n.endsWith(".bias")) { p.value().assign(0); continue; }
            if (ln) { p.value().assign(1); continue; }
            double s = n.endsWith(".c_proj.weight") ? std / Math.sqrt(2.0 * c.nLayer()) : std;
            double[] a = new double[(int) p.size()];
            for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian() * s;
            p.value().assign(Nd4j.create(a, p.value().shape(), 'c').castTo(dt));
        }
        return m;
    }

    /**
     * Loads {@code config.json} and {@code model.safetensors} (or the shards of
     * {@code model.safetensors.index.json}); tensors may be F32, F16 or BF16.
     *
     * @throws FileFormatException naming the file and the problem: a missing or mis-shaped tensor
     *         (with the shape found and the shape the config needs, in the file's [in, out] layout for
     *         Conv1D weights), a config far out of line with the weights, an unsupported setting
     */
    public static Gpt2Model load(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new FileFormatException(cfg, "missing (not a model folder)");
        Gpt2Config config = Gpt2Config.fromJson(cfg);
        List<Path> files = Checkpoint.weightFiles(dir);
        Checkpoint.checkSize(cfg, config::parameterCount, files);
        Set<String> names = new HashSet<>();
        for (Path f : files) names.addAll(SafeTensors.header(f).entries().keySet());
        // GPT2LMHeadModel writes "transformer.wte.weight"; GPT2Model (the original hub files) "wte.weight"
        boolean prefixed = names.contains(P + "wte.weight") || !names.contains("wte.weight");
        Gpt2Model m = new Gpt2Model(config, DataType.FLOAT);
        // each tensor is read into a view of its parameter under the file's name and layout: a Conv1D weight
        // [in, out] into the transposed view of the [out, in] parameter (no staging copy)
        Map<String, Parameter> byFileName = new LinkedHashMap<>();
        for (Parameter p : m.base.values()) {
            String fileName = prefixed || !p.name().startsWith(P) ? p.name() : p.name().substring(P.length());
            INDArray target = m.conv1d.contains(p.name()) ? p.value().transpose() : p.value();
            byFileName.put(fileName, target == p.value() && fileName.equals(p.name()) ? p : new Parameter(fileName, target, false));
        }
        List<String> unexpected = Checkpoint.load(files, byFileName, k -> isIgnorable(k, config));
        if (!unexpected.isEmpty()) LOG.warn("{}: ignoring {} unexpected tensor(s): {}", dir, unexpected.size(), unexpected);
        return m;
    }

    /** Legacy attention buffers, and a tied model's redundant lm_head.weight. */
    private static boolean isIgnorable(String k, Gpt2Config c) {
        return k.endsWith(".attn.bias") || k.endsWith(".attn.masked_bias")
            || (c.tieWordEmbeddings() && k.equals("lm_head.weight"));
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} as transformers' {@code save_pretrained}
     * lays them out ({@code transformer.} prefix, Conv1D weights [in, out], no lm_head.weight when
     * tied), each atomically.
     */
    @Override public void save(Path dir, SafeTensors.Dtype storage) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new FileFormatException(dir, "cannot create folder: " + e.getMessage(), e);
        }
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (Parameter p : base.values()) {
            INDArray v = conv1d.contains(p.name()) ? p.value().transpose().dup('c') : p.value();
            t.put(p.name(), v.castTo(DataType.FLOAT));
        }
        SafeTensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"), storage);
        AtomicFiles.writeString(dir.resolve("config.json"), config.toJson().toPrettyString() + "\n");
    }

    // ------------------------------------------------------------------ accessors

    @Override public String family() { return "gpt2"; }
    @Override public boolean encoderDecoder() { return false; }
    @Override public int vocabSize() { return config.vocabSize(); }
    @Override public DataType dataType() { return dt; }
    public Gpt2Config config() { return config; }

    @Override public String describe() {
        return "GPT-2, n_embd " + config.nEmbd() + ", " + config.nLayer() + " layers, " + config.nHead() + " heads"
            + (config.tieWordEmbeddings() ? "" : ", untied lm_head");
    }

    @Override public Map<String, Parameter> baseParameters() { return Collections.unmodifiableMap(base); }
    @Override public Map<String, List<String>> targetAliases() { return ALIASES; }
    @Override public Map<String, ProjectionSlot> projections() { return Collections.unmodifiableMap(slots); }

    /** True for the Conv1D modules (every linear module but {@code lm_head}): PEFT's {@code fan_in_fan_out}. */
    @Override public boolean fanInFanOut(String module) {
        return !module.equals("lm_head") && slots.containsKey(module);
    }

    @Override public List<Parameter> parameters() {
        LinkedHashSet<Parameter> out = new LinkedHashSet<>();
        for (Object o : order) {
            if (o instanceof Parameter p) out.add(p);
            else out.addAll(((Slot) o).get().parameters());
        }
        return new ArrayList<>(out);
    }

    @Override public GenerationConfig defaultGeneration() {
        Integer eos = config.eosTokenId();
        return GenerationConfig.defaults(eos == null ? -1 : eos, config.generationPadId(), 0, false);
    }

    @Override public Gpt2Model copy() {
        Gpt2Model m = new Gpt2Model(config, dt);
        for (Parameter p : base.values()) m.base.get(p.name()).value().assign(p.value());
        return m;
    }

    // ------------------------------------------------------------------ forward / backward

    private void checkLength(int t) {
        if (t > config.nPositions())
            throw new IllegalArgumentException("sequence length " + t + " exceeds n_positions = " + config.nPositions()
                + " (GPT-2 has learned position embeddings for positions 0.." + (config.nPositions() - 1) + " only)");
    }

    /** Checks ids, mask and labels; an IllegalArgumentException names the bad value. */
    public void validate(Batch batch) {
        CausalInputs.validate(batch, config.vocabSize());
        checkLength(batch.inputIds()[0].length);
    }

    @Override public double forwardLoss(Batch batch, ForwardContext ctx) {
        validate(batch);
        NativeMemory.collectOccasionally();
        int[][] ids = batch.inputIds();
        INDArray logits = forwardLogits(ids, batch.attentionMask(), CausalInputs.sequentialPositions(ids.length, ids[0].length), ctx);
        double l = loss.forward(logits, batch.labels());
        haveForward = true;
        return l;
    }

    /** Final hidden states [B*T, d] (a buffer of ln_f) for validated inputs and flat positions [B*T]. */
    private INDArray hidden(int[][] ids, int[][] mask, int[] positions, ForwardContext ctx) {
        haveForward = false;
        int B = ids.length, T = ids[0].length;
        INDArray e = wte.forward(CausalInputs.flatten(ids)), p = wpe.forward(positions);
        INDArray x = embB.get(dt, e.shape());
        if (Fast.plain(e, p, x)) Fast.add(e, p, x); else x.assign(e).addi(p);
        x = embdDrop.forwardInPlace(x, ctx);
        for (Gpt2Block b : blocks) x = b.forward(x, B, T, mask, ctx);
        return lnF.forward(x);
    }

    private INDArray forwardLogits(int[][] ids, int[][] mask, int[] positions, ForwardContext ctx) {
        lastLogits = lmHead.get().forward(hidden(ids, mask, positions, ctx), ctx);
        lastB = ids.length; lastT = ids[0].length;
        return lastLogits;
    }

    @Override public void backward() {
        if (!haveForward) throw new IllegalStateException("backward() needs a preceding forwardLoss()");
        haveForward = false;
        INDArray dh = lmHead.get().backward(loss.backward());
        boolean embeddings = wteW.trainable() || wpeW.trainable();
        int lowest = embeddings ? 0 : blocks.length;                  // lowest block that must be back-propagated
        if (!embeddings) for (int i = 0; i < blocks.length; i++) if (blocks[i].anyTrainable()) { lowest = i; break; }
        if (lowest == blocks.length && !lnF.weight().trainable() && !lnF.bias().trainable()) return;
        dh = lnF.backward(dh);
        for (int i = blocks.length - 1; i >= lowest; i--) dh = blocks[i].backward(dh);
        if (!embeddings) return;
        dh = embdDrop.backward(dh);
        wte.backward(dh);
        wpe.backward(dh);
    }

    @Override public INDArray lastLogits() {
        if (lastLogits == null) throw new IllegalStateException("no forward pass yet");
        return lastLogits.dup('c').reshape(lastB, lastT, config.vocabSize());
    }

    /** Inference-mode logits [B, T, V] with positions 0..T-1 on every row, as transformers' plain forward. */
    @Override public INDArray logits(Batch batch) {
        validate(batch);
        int[][] ids = batch.inputIds();
        forwardLogits(ids, batch.attentionMask(), CausalInputs.sequentialPositions(ids.length, ids[0].length), ForwardContext.inference());
        return lastLogits();
    }

    // ------------------------------------------------------------------ decoding

    /**
     * Reads a left-padded prompt (positions {@code cumsum(mask) - 1}) and prepares one KV cache per
     * layer for {@code ids.length * copies} rows and {@code maxNewTokens} new tokens.
     *
     * @throws IllegalArgumentException for bad ids or mask, or when the positions the new tokens would
     *         take reach {@code n_positions}
     */
    @Override public DecodingSession startDecoding(int[][] ids, int[][] mask, int copies, int maxNewTokens) {
        CausalInputs.validateInputs(ids, mask, config.vocabSize());
        if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        int longest = 0;
        for (int[] r : mask) { int c = 0; for (int x : r) c += x; longest = Math.max(longest, c); }
        if (longest > config.nPositions())
            throw new IllegalArgumentException("a prompt of " + longest + " tokens exceeds n_positions = " + config.nPositions()
                + " (GPT-2 has learned position embeddings for positions 0.." + (config.nPositions() - 1) + " only)");
        // the last token fed back sits at position longest + maxNewTokens - 2
        if ((long) longest + maxNewTokens - 1 > config.nPositions())
            throw new IllegalArgumentException("a prompt of " + longest + " tokens plus max_new_tokens = " + maxNewTokens
                + " needs positions up to " + (longest + maxNewTokens - 2) + ", but GPT-2 has n_positions = " + config.nPositions()
                + " (at most " + (config.nPositions() - longest + 1) + " new tokens for this prompt)");
        haveForward = false;
        return new CausalDecoding(ids, mask, copies, maxNewTokens, new Steps(ids.length * copies, copies,
            CausalDecoding.capacity(ids[0].length, maxNewTokens)));
    }

    /** The arithmetic of a decoding session: prompt, then one token per row, with one KV cache per layer. */
    private final class Steps implements CausalDecoding.Steps {
        private final KvCache[] caches;
        private final int copies;

        Steps(int rows, int copies, int capacity) {
            this.copies = copies;
            caches = new KvCache[blocks.length];
            for (int i = 0; i < blocks.length; i++) caches[i] = blocks[i].attn.core.newCache(dt, rows, capacity);
        }

        @Override public INDArray prefill(int[][] ids, int[][] mask, int[][] positions) {
            int B = ids.length, T = ids[0].length;
            lastLogits = null;
            INDArray h = hidden(ids, mask, CausalInputs.flatten(positions), ForwardContext.inference());
            for (int i = 0; i < blocks.length; i++) blocks[i].attn.prefill(caches[i], B, T, copies);
            long[] lastRows = new long[B];
            for (int b = 0; b < B; b++) lastRows[b] = (long) b * T + T - 1;       // left-padded: the last column is real
            INDArray last = h.getRows(Arrays.stream(lastRows).mapToInt(x -> (int) x).toArray()).dup('c');
            return lmHead.get().forward(last, ForwardContext.inference());
        }

        @Override public INDArray step(int[] tokens, int[] positions, int[][] keyMask) {
            for (int p : positions)
                if (p < 0 || p >= config.nPositions())
                    throw new IllegalArgumentException("position " + p + " is outside n_positions = " + config.nPositions());
            INDArray e = wte.forward(tokens), p = wpe.forward(positions);
            INDArray x = stepEmb.get(dt, e.shape());
            if (Fast.plain(e, p, x)) Fast.add(e, p, x); else x.assign(e).addi(p);
            for (int i = 0; i < blocks.length; i++) x = blocks[i].step(x, caches[i], keyMask);
            return lmHead.get().forward(lnF.forward(x), ForwardContext.inference());
        }

        @Override public void reorder(int[] rows) { for (KvCache c : caches) c.reorder(rows); }
    }
}
