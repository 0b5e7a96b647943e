package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.TextTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code bin/peft4j tokenize --tokenizer DIR|ORG/NAME}: JSON lines {@code {"text": ...}} on stdin, one
 * {@code {"ids": [...]}} per line on stdout, flushed per line: {@code AutoTokenizer(text)["input_ids"]}
 * for every supported tokenizer (SentencePiece Unigram, byte-level BPE, SentencePiece-style BPE):
 * special tokens added as the tokenizer's post-processor says (T5: {@code </s>} appended; Llama 3,
 * Llama 2, Mistral: BOS prepended; GPT-2, Qwen2: none), literal special-token strings recognised,
 * no truncation. A bad line is answered with {@code {"error": ...}};
 * an unreadable tokenizer ends the run with exit code 2 and one line on stderr naming the file.
 */
@Command(name = "tokenize", description = "JSON lines {\"text\": ...} in, {\"ids\": [...]} out (special tokens as the tokenizer's post-processor adds them, no truncation).")
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
            description = "folder with tokenizer.json (and tokenizer_config.json) or spiece.model, or a hub id (only its tokenizer files are fetched)")
    String tokenizerDir;

    @Spec CommandSpec spec;

    private final InputStream in;

    public TokenizeCommand() { this(System.in); }

    /** For tests: read lines from {@code in}; output goes to the CommandLine's out/err writers. */
    public TokenizeCommand(InputStream in) { this.in = in; }

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TextTokenizer tok;
        try {
            tok = TextTokenizer.load(CliModels.folder("--tokenizer", tokenizerDir, CliModels.Need.TOKENIZER, System.err));
        } catch (JsonLinesCommand.SetupException e) {
            err.println("tokenize: cannot load tokenizer: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("tokenize: cannot load tokenizer: " + e.getMessage().replace('\n', ' '));
            err.flush();
            return 2;
        }
        ObjectMapper om = new ObjectMapper();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            out.println(om.writeValueAsString(answer(om, tok, line)));
            out.flush();
        }
        return 0;
    }

    static ObjectNode answer(ObjectMapper om, TextTokenizer tok, String line) {
        ObjectNode res = om.createObjectNode();
        JsonNode n;
        try {
            n = om.readTree(line);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            int nl = msg.indexOf('\n');
            return res.put("error", "line is not valid JSON: " + (nl < 0 ? msg : msg.substring(0, nl)));
        }
        if (n == null || !n.isObject()) return res.put("error", "expected a JSON object {\"text\": \"...\"}");
        JsonNode t = n.get("text");
        if (t == null || !t.isTextual()) return res.put("error", "missing string field \"text\"");
        ArrayNode ids = res.putArray("ids");
        for (int id : tok.encode(t.asText())) ids.add(id);
        return res;
    }
}
