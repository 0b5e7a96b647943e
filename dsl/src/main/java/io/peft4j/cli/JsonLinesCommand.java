package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Base of the JSON-lines tools: one JSON answer per input line, in order, flushed before the next
 * line is read; a bad line is answered with {@code {"error": "..."}} and the run goes on; logs go to
 * stderr. Subclasses set up once ({@link #setUp}, which throws {@link SetupException} for whole-run
 * problems: non-zero exit with one line on stderr) and answer lines ({@link #answer}).
 */
abstract class JsonLinesCommand {
    static final ObjectMapper JSON = new ObjectMapper();
    InputStream in = System.in;
    PrintStream out = System.out, err = System.err;

    /** A problem with the whole run (unreadable model, bad argument). */
    static final class SetupException extends RuntimeException {
        SetupException(String message) { super(message); }
    }

    abstract String name();
    abstract void setUp();
    abstract ObjectNode answer(JsonNode request);

    final int runLines() {
        try {
            setUp();
        } catch (SetupException e) {
            err.println("peft4j " + name() + ": " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("peft4j " + name() + ": " + oneLine(e));
            return 2;
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                ObjectNode ans;
                try {
                    if (line.isBlank()) throw new IllegalArgumentException("empty line (expected a JSON object)");
                    JsonNode req;
                    try {
                        req = JSON.readTree(line);
                    } catch (IOException e) {
                        throw new IllegalArgumentException("line " + n + " is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
                    }
                    if (req == null || !req.isObject()) throw new IllegalArgumentException("line " + n + " is not a JSON object");
                    ans = answer(req);
                } catch (RuntimeException e) {
                    ans = JSON.createObjectNode().put("error", oneLine(e));
                }
                out.println(ans.toString());
                out.flush();
            }
        } catch (IOException e) {
            err.println("peft4j " + name() + ": cannot read standard input: " + e.getMessage());
            return 2;
        }
        return 0;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }

    /** A required rectangular int matrix field. */
    static int[][] matrix(JsonNode req, String field) {
        JsonNode n = req.get(field);
        if (n == null || n.isNull()) throw new IllegalArgumentException("missing field '" + field + "'");
        if (!n.isArray() || n.isEmpty()) throw new IllegalArgumentException("'" + field + "' must be a non-empty list of lists of integers");
        int[][] m = new int[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            JsonNode row = n.get(i);
            if (!row.isArray() || row.isEmpty()) throw new IllegalArgumentException("'" + field + "'[" + i + "] must be a non-empty list of integers");
            if (row.size() != n.get(0).size())
                throw new IllegalArgumentException("'" + field + "' rows differ in length (row 0: " + n.get(0).size() + ", row " + i + ": " + row.size() + ")");
            m[i] = new int[row.size()];
            for (int j = 0; j < row.size(); j++) {
                JsonNode v = row.get(j);
                if (!v.isIntegralNumber() || !v.canConvertToInt())
                    throw new IllegalArgumentException("'" + field + "'[" + i + "][" + j + "] = " + v + " is not an integer");
                m[i][j] = v.asInt();
            }
        }
        return m;
    }

    /** attention_mask, defaulting to all ones of the ids' shape. */
    static int[][] maskOrOnes(JsonNode req, int[][] ids) {
        if (!req.has("attention_mask") || req.get("attention_mask").isNull()) {
            int[][] m = new int[ids.length][];
            for (int i = 0; i < ids.length; i++) { m[i] = new int[ids[i].length]; java.util.Arrays.fill(m[i], 1); }
            return m;
        }
        return matrix(req, "attention_mask");
    }
}
