package io.peft4j.fuzz;

import io.peft4j.data.Datasets;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.TokenizerFileException;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.hf.chat.ChatTemplateException;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based fuzzing of every file reader: valid seed files ({@link Seeds}) get one to four
 * {@link Mutation}s (bit flips, truncation, deletions, non-UTF-8 insertions, duplicated ranges,
 * header-length edits, numbers replaced by huge/negative/non-integer values, strings replaced by
 * unknown dtypes or types, deep nesting), and the reader must either load the file or throw its
 * documented exception naming the file ({@link Verdict}). Loaded tokenizers must also encode and
 * decode without error.
 *
 * <p>The number of tries per property is jqwik's default, set in
 * {@code src/test/resources/junit-platform.properties} (CI-sized); a long run:
 * {@code mvn -o -q -B -pl dsl test -Dtest='ReaderFuzzTest' -Djqwik.tries.default=20000}.
 */
class ReaderFuzzTest {
    private static final List<Class<? extends Throwable>> FFE = List.of(FileFormatException.class);
    private static final List<Class<? extends Throwable>> IAE = List.of(IllegalArgumentException.class);
    private static final List<Class<? extends Throwable>> FFE_OR_IAE = List.of(FileFormatException.class, IllegalArgumentException.class);
    private static final List<Class<? extends Throwable>> TFE = List.of(TokenizerFileException.class);

    @Provide Arbitrary<List<Mutation>> text() { return Mutations.forFormat(Mutation.Format.TEXT); }
    @Provide Arbitrary<List<Mutation>> st() { return Mutations.forFormat(Mutation.Format.SAFETENSORS); }
    @Provide Arbitrary<List<Mutation>> binary() { return Mutations.forFormat(Mutation.Format.BINARY); }
    @Provide Arbitrary<byte[]> stSeed() { return Arbitraries.of(Seeds.SAFETENSORS_F32, Seeds.SAFETENSORS_F16, Seeds.SAFETENSORS_BF16); }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Example void seedsLoad() throws IOException {
        Path d = Seeds.freshDir("seeds-check");
        assertEquals(4, SafeTensors.read(write(d, "a.safetensors", Seeds.SAFETENSORS_BF16)).size());
        write(d, "config.json", Seeds.CONFIG_JSON);
        write(d, "model.safetensors", Seeds.MODEL_SAFETENSORS);
        T5Model m = T5Model.load(d);
        write(d, AdapterIO.CONFIG, Seeds.ADAPTER_CONFIG);
        write(d, AdapterIO.WEIGHTS, Seeds.ADAPTER_SAFETENSORS);
        assertEquals(6, AdapterIO.loadLora(m, d).targetedModules("default").size());
        Path tj = Seeds.freshDir("seeds-tok-json"), sp = Seeds.freshDir("seeds-spiece");
        write(tj, "tokenizer.json", Seeds.TOKENIZER_JSON);
        write(sp, "spiece.model", Seeds.SPIECE_MODEL);
        Path bj = Seeds.freshDir("seeds-bpe"), bs = Seeds.freshDir("seeds-spm-bpe");
        write(bj, "tokenizer.json", Seeds.BPE_TOKENIZER_JSON);
        write(bs, "tokenizer.json", Seeds.SPM_BPE_TOKENIZER_JSON);
        TextTokenizer bpe = TextTokenizer.load(bj), spmBpe = TextTokenizer.load(bs);
        assertEquals("<|begin_of_text|>hello there", bpe.decode(bpe.encode("hello there"), false));
        assertEquals(bpe.bosId(), -1);   // no tokenizer_config.json: no named BOS, but the template still adds it
        assertEquals(262, bpe.encode("hello")[0]);
        assertEquals("hello \u00e9", spmBpe.decode(spmBpe.encode("hello \u00e9")));
        assertEquals(1, spmBpe.encode("x")[0]);
        assertTrue(ChatTemplate.of(new String(Seeds.CHAT_TEMPLATE, java.nio.charset.StandardCharsets.UTF_8))
            .render(List.of(new ChatTemplate.Message("user", "hey")), true).contains("<|assistant|>0ey"));
        TextTokenizer a = TextTokenizer.load(tj), b = TextTokenizer.load(sp);
        assertArrayEquals(a.encode("hello Aworld"), b.encode("hello Aworld"));
        assertEquals("hello aworld", a.decode(a.encode("hello Aworld")));   // 'A' -> 'a' by the charsmap
        assertEquals(3, Datasets.jsonl(write(d, "x.jsonl", Seeds.JSONL)).size());
        assertEquals(3, Datasets.csv(write(d, "x.csv", Seeds.CSV)).size());
    }

    @Property void safetensors(@ForAll("stSeed") byte[] seed, @ForAll("st") List<Mutation> ms) {
        Path f = write(Seeds.freshDir("st"), "fuzz.safetensors", Mutations.apply(seed, ms, Mutation.Format.SAFETENSORS));
        Verdict.check("safetensors", "fuzz.safetensors", () -> SafeTensors.read(f), FFE);
    }

    @Property void t5ConfigJson(@ForAll("text") List<Mutation> ms) {
        Path f = write(Seeds.freshDir("cfg"), "config.json", Mutations.apply(Seeds.CONFIG_JSON, ms, Mutation.Format.TEXT));
        Verdict.check("config.json", "config.json", () -> T5Config.fromJson(f), IAE);
    }

    /** config.json or model.safetensors of a model folder mutated, loaded with T5Model.load. */
    @Property void t5ModelFolder(@ForAll boolean mutateConfig, @ForAll("text") List<Mutation> cfg, @ForAll("st") List<Mutation> weights) {
        Path d = Seeds.freshDir("model-fuzz");
        write(d, "config.json", mutateConfig ? Mutations.apply(Seeds.CONFIG_JSON, cfg, Mutation.Format.TEXT) : Seeds.CONFIG_JSON);
        write(d, "model.safetensors", mutateConfig ? Seeds.MODEL_SAFETENSORS : Mutations.apply(Seeds.MODEL_SAFETENSORS, weights, Mutation.Format.SAFETENSORS));
        Verdict.check("T5Model.load", "model-fuzz", () -> T5Model.load(d), FFE_OR_IAE);
    }

    /** adapter_config.json or adapter_model.safetensors mutated, loaded onto a fresh tiny T5. */
    @Property void loraAdapter(@ForAll boolean mutateConfig, @ForAll("text") List<Mutation> cfg, @ForAll("st") List<Mutation> weights) {
        Path d = Seeds.freshDir("adapter-fuzz");
        write(d, AdapterIO.CONFIG, mutateConfig ? Mutations.apply(Seeds.ADAPTER_CONFIG, cfg, Mutation.Format.TEXT) : Seeds.ADAPTER_CONFIG);
        write(d, AdapterIO.WEIGHTS, mutateConfig ? Seeds.ADAPTER_SAFETENSORS : Mutations.apply(Seeds.ADAPTER_SAFETENSORS, weights, Mutation.Format.SAFETENSORS));
        T5Model base = T5Model.fromConfig(Seeds.TINY, 1);
        Verdict.check("adapter", "adapter-fuzz", () -> AdapterIO.loadLora(base, d), FFE);
    }

    private static Object useTokenizer(Path dir) throws IOException {
        TextTokenizer t = TextTokenizer.load(dir);
        for (String s : List.of("hello world", "Ahe\u00e9 <unk></s> the  \u2581 A\u0000", "", "\ud83d\ude00 x",
                "<|begin_of_text|>hello [X] there's 12345\n\n  \u00e9\u0301", "\ud800 lone"))
            t.decode(t.encode(s), false);
        int[] all = new int[Math.min(t.vocabSize(), 200_000)];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return t.decode(all);
    }

    @Property void tokenizerJson(@ForAll("text") List<Mutation> ms) {
        Path d = Seeds.freshDir("tok-json");
        write(d, "tokenizer.json", Mutations.apply(Seeds.TOKENIZER_JSON, ms, Mutation.Format.TEXT));
        Verdict.check("tokenizer.json", "tokenizer.json", () -> useTokenizer(d), TFE);
    }

    /** A byte-level BPE tokenizer.json (Llama 3 style) mutated. */
    @Property void bpeTokenizerJson(@ForAll("text") List<Mutation> ms) {
        Path d = Seeds.freshDir("bpe-json");
        write(d, "tokenizer.json", Mutations.apply(Seeds.BPE_TOKENIZER_JSON, ms, Mutation.Format.TEXT));
        Verdict.check("bpe tokenizer.json", "tokenizer.json", () -> useTokenizer(d), TFE);
    }

    /** A SentencePiece-style BPE tokenizer.json (Llama 2 style) mutated. */
    @Property void spmBpeTokenizerJson(@ForAll("text") List<Mutation> ms) {
        Path d = Seeds.freshDir("spm-bpe-json");
        write(d, "tokenizer.json", Mutations.apply(Seeds.SPM_BPE_TOKENIZER_JSON, ms, Mutation.Format.TEXT));
        Verdict.check("spm-bpe tokenizer.json", "tokenizer.json", () -> useTokenizer(d), TFE);
    }

    /** A chat template mutated: it renders, or fails with a ChatTemplateException, within its time limit. */
    @Property void chatTemplate(@ForAll("text") List<Mutation> ms) {
        String src = new String(Mutations.apply(Seeds.CHAT_TEMPLATE, ms, Mutation.Format.TEXT), java.nio.charset.StandardCharsets.UTF_8);
        ChatTemplate t = ChatTemplate.of(src).withSpecialTokens(java.util.Map.of("bos_token", "<s>"))
            .withLimits(new ChatTemplate.Limits(java.time.Duration.ofSeconds(2), 100_000, 100_000, 10_000, 10_000, 16));
        Verdict.check("chat template", "", () -> t.render(List.of(new ChatTemplate.Message("system", "be brief"),
            new ChatTemplate.Message("user", "hello {{ x }}")), true), List.of(ChatTemplateException.class));
    }

    @Property void spieceModel(@ForAll("binary") List<Mutation> ms) {
        Path d = Seeds.freshDir("spiece");
        write(d, "spiece.model", Mutations.apply(Seeds.SPIECE_MODEL, ms, Mutation.Format.BINARY));
        Verdict.check("spiece.model", "spiece.model", () -> useTokenizer(d), TFE);
    }

    @Property void jsonl(@ForAll("text") List<Mutation> ms) {
        Path f = write(Seeds.freshDir("jsonl"), "fuzz.jsonl", Mutations.apply(Seeds.JSONL, ms, Mutation.Format.TEXT));
        Verdict.check("jsonl", "fuzz.jsonl", () -> Datasets.jsonl(f), IAE);
    }

    @Property void csv(@ForAll("text") List<Mutation> ms) {
        Path f = write(Seeds.freshDir("csv"), "fuzz.csv", Mutations.apply(Seeds.CSV, ms, Mutation.Format.TEXT));
        Verdict.check("csv", "fuzz.csv", () -> Datasets.csv(f), IAE);
    }

    @AfterContainer static void summary() {
        for (String t : List.of("safetensors", "config.json", "T5Model.load", "adapter", "tokenizer.json", "bpe tokenizer.json",
                "spm-bpe tokenizer.json", "chat template", "spiece.model", "jsonl", "csv"))
            System.out.println(Verdict.summary(t));
    }
}
