package io.peft4j.fuzz;

import io.peft4j.data.Datasets;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.SafeTensors;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.TokenizerFileException;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every hand-made malformed file in {@code src/test/resources/malformed/<kind>/} (written by its
 * {@code make_malformed.py}) is rejected by its reader with the documented exception, whose
 * message names the file, in bounded time: never accepted, never another exception or an Error.
 */
class MalformedCorpusTest {
    static Stream<String> files() throws IOException, URISyntaxException {
        Path root = root();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".py"))
                .map(p -> root.relativize(p).toString().replace('\\', '/')).sorted().toList().stream();
        }
    }

    static Path root() throws URISyntaxException {
        return Path.of(MalformedCorpusTest.class.getResource("/malformed").toURI());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void rejectedWithTypedErrorNamingTheFile(String name) throws Exception {
        Path src = root().resolve(name);
        String kind = name.substring(0, name.indexOf('/'));
        Path dir = Seeds.freshDir("corpus-" + kind);
        String shown;
        Callable<?> load;
        List<Class<? extends Throwable>> allowed;
        switch (kind) {
            case "safetensors" -> { shown = src.getFileName().toString(); load = () -> SafeTensors.read(src); allowed = List.of(FileFormatException.class); }
            case "config" -> { shown = src.getFileName().toString(); load = () -> T5Config.fromJson(src); allowed = List.of(IllegalArgumentException.class); }
            case "adapter_config" -> {
                Files.copy(src, dir.resolve(AdapterIO.CONFIG));
                Files.write(dir.resolve(AdapterIO.WEIGHTS), Seeds.ADAPTER_SAFETENSORS);
                T5Model base = T5Model.fromConfig(Seeds.TINY, 1);
                shown = dir.getFileName().toString(); load = () -> AdapterIO.loadLora(base, dir); allowed = List.of(FileFormatException.class);
            }
            case "tokenizer_json" -> { Files.copy(src, dir.resolve("tokenizer.json")); shown = "tokenizer.json"; load = () -> TextTokenizer.load(dir); allowed = List.of(TokenizerFileException.class); }
            case "spiece" -> { Files.copy(src, dir.resolve("spiece.model")); shown = "spiece.model"; load = () -> TextTokenizer.load(dir); allowed = List.of(TokenizerFileException.class); }
            case "jsonl" -> { shown = src.getFileName().toString(); load = () -> Datasets.jsonl(src); allowed = List.of(IllegalArgumentException.class); }
            case "csv" -> { shown = src.getFileName().toString(); load = () -> Datasets.csv(src); allowed = List.of(IllegalArgumentException.class); }
            default -> { fail("unknown corpus folder " + kind); return; }
        }
        long before = Verdict.STATS.getOrDefault("corpus", new java.util.concurrent.atomic.AtomicLong[]{new java.util.concurrent.atomic.AtomicLong(),
            new java.util.concurrent.atomic.AtomicLong(), new java.util.concurrent.atomic.AtomicLong(), new java.util.concurrent.atomic.AtomicLong()})[1].get();
        Verdict.check("corpus", shown, load, allowed);
        assertTrue(Verdict.STATS.get("corpus")[1].get() == before, name + " was accepted, but every corpus file is malformed");
    }
}
