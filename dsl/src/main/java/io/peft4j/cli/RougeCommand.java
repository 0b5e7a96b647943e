package io.peft4j.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.eval.RougeScorer;
import io.peft4j.eval.RougeType;
import io.peft4j.eval.Score;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/peft4j rouge [--stemmer]}: reads JSON lines
 * {@code {"target": "..." | ["...", ...], "prediction": "..."}} from stdin and writes, per input line
 * and in order, {@code {"rouge1": {"p":..,"r":..,"f":..}, "rouge2": .., "rougeL": .., "rougeLsum": ..}}
 * (rouge_score 0.1.2 values; a list of targets is scored as {@code score_multi}). A line that cannot be
 * scored gets {@code {"error": "..."}} and the run goes on. Output is flushed after every line; logs go
 * to stderr only.
 */
@Command(name = "rouge", mixinStandardHelpOptions = true,
         description = "Score JSON lines {\"target\": str|[str], \"prediction\": str} from stdin with rouge_score-exact ROUGE-1/2/L/Lsum.")
final class RougeCommand implements Callable<Integer> {

    @Option(names = "--stemmer", description = "Porter-stem tokens longer than 3 characters (rouge_score use_stemmer=True)")
    boolean stemmer;

    InputStream in = System.in;
    OutputStream out = System.out;
    PrintStream err = System.err;

    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Override public Integer call() throws IOException {
        RougeScorer scorer = new RougeScorer(RougeType.STANDARD, stemmer);
        JsonFactory factory = JSON.getFactory();
        long t0 = System.nanoTime();
        int lines = 0, errors = 0;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        // the generator must not close stdout; we flush it ourselves after each line
        JsonGenerator gen = factory.createGenerator(out, JsonEncoding.UTF8);
        gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        gen.setRootValueSeparator(null); // lines end with our own '\n' (Jackson would prefix a space)
        String line;
        while ((line = reader.readLine()) != null) {
            lines++;
            Map<RougeType, Score> scores;
            try {
                scores = scoreLine(scorer, line);
            } catch (BadLineException | RuntimeException e) {
                errors++;
                gen.writeStartObject();
                gen.writeStringField("error", "line " + lines + ": " + e.getMessage());
                gen.writeEndObject();
                endLine(gen);
                continue;
            }
            gen.writeStartObject();
            for (Map.Entry<RougeType, Score> e : scores.entrySet()) {
                gen.writeObjectFieldStart(e.getKey().name());
                gen.writeNumberField("p", e.getValue().precision());
                gen.writeNumberField("r", e.getValue().recall());
                gen.writeNumberField("f", e.getValue().fmeasure());
                gen.writeEndObject();
            }
            gen.writeEndObject();
            endLine(gen);
        }
        gen.close();
        double secs = (System.nanoTime() - t0) / 1e9;
        err.printf("peft4j rouge: %d lines (%d errors) in %.3f s, stemmer %s%n", lines, errors, secs, stemmer ? "on" : "off");
        return 0;
    }

    private void endLine(JsonGenerator gen) throws IOException {
        gen.writeRaw('\n');
        gen.flush();
    }

    private static final class BadLineException extends Exception {
        BadLineException(String msg) { super(msg); }
    }

    static Map<RougeType, Score> scoreLine(RougeScorer scorer, String line) throws BadLineException {
        if (line.isBlank()) throw new BadLineException("empty line; expected {\"target\": str|[str], \"prediction\": str}");
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadLineException("not valid JSON (" + e.getOriginalMessage() + "); expected {\"target\": str|[str], \"prediction\": str}");
        }
        if (node == null || !node.isObject())
            throw new BadLineException("expected a JSON object {\"target\": str|[str], \"prediction\": str}, got " + kind(node));
        JsonNode pred = node.get("prediction"), target = node.get("target");
        if (pred == null || !pred.isTextual())
            throw new BadLineException("\"prediction\" must be a string, got " + kind(pred));
        if (target == null) throw new BadLineException("\"target\" is missing; give a string or a non-empty array of strings");
        if (target.isTextual()) return scorer.score(target.textValue(), pred.textValue());
        if (target.isArray()) {
            if (target.isEmpty()) throw new BadLineException("\"target\" is an empty array; give at least one reference string");
            List<String> refs = new ArrayList<>(target.size());
            for (int i = 0; i < target.size(); i++) {
                JsonNode t = target.get(i);
                if (!t.isTextual()) throw new BadLineException("\"target\"[" + i + "] must be a string, got " + kind(t));
                refs.add(t.textValue());
            }
            return scorer.scoreMulti(refs, pred.textValue());
        }
        throw new BadLineException("\"target\" must be a string or an array of strings, got " + kind(target));
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
