package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.hf.chat.ChatTemplateException;
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
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bin/peft4j chat-template --tokenizer DIR|ORG/NAME}: JSON lines
 * {@code {"messages": [{"role", "content"}, ...], "add_generation_prompt": bool}} on stdin, one
 * {@code {"text": "...", "ids": [...]}} per line on stdout: transformers'
 * {@code apply_chat_template(tokenize=False)} and {@code (tokenize=True)} (the text encoded without
 * the post-processor's special tokens). Optional fields: {@code tools} (a list of tool schemas);
 * any other field is a template variable, as transformers' extra keyword arguments
 * ({@code enable_thinking}, {@code date_string}, ...). {@code add_generation_prompt} defaults to
 * false. A bad line, or a template that fails, raises or runs too long, is answered with
 * {@code {"error": "..."}}; a tokenizer that cannot be read or has no chat template ends the run
 * with exit code 2 and one line on stderr naming the folder or file.
 */
@Command(name = "chat-template",
         description = "JSON lines {\"messages\": [...], \"add_generation_prompt\": bool} in, {\"text\": ..., \"ids\": [...]} out (the tokenizer's chat template).")
public final class ChatTemplateCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR|ORG/NAME[@REV]",
            description = "folder with tokenizer.json and the chat template (tokenizer_config.json or chat_template.jinja), or a hub id (only its tokenizer files are fetched)")
    String tokenizerDir;

    @Spec CommandSpec spec;

    private final InputStream in;

    public ChatTemplateCommand() { this(System.in); }

    /** For tests: read lines from {@code in}; output goes to the CommandLine's out/err writers. */
    public ChatTemplateCommand(InputStream in) { this.in = in; }

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TextTokenizer tok;
        ChatTemplate template;
        try {
            Path dir = CliModels.folder("--tokenizer", tokenizerDir, CliModels.Need.TOKENIZER, System.err);
            tok = TextTokenizer.load(dir);
            Optional<ChatTemplate> t = ChatTemplate.load(dir);
            if (t.isEmpty()) {
                err.println("chat-template: " + dir + ": no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json)");
                err.flush();
                return 2;
            }
            template = t.get();
        } catch (JsonLinesCommand.SetupException e) {
            err.println("chat-template: cannot load tokenizer: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("chat-template: cannot load tokenizer: " + e.getMessage().replace('\n', ' '));
            err.flush();
            return 2;
        }
        ObjectMapper om = new ObjectMapper();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        long n = 0;
        for (String line; (line = r.readLine()) != null; ) {
            n++;
            out.println(om.writeValueAsString(answer(om, tok, template, line, n)));
            out.flush();
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    static ObjectNode answer(ObjectMapper om, TextTokenizer tok, ChatTemplate template, String line, long n) {
        ObjectNode res = om.createObjectNode();
        JsonNode req;
        try {
            req = om.readTree(line);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            int nl = msg.indexOf('\n');
            return res.put("error", "line " + n + " is not valid JSON: " + (nl < 0 ? msg : msg.substring(0, nl)));
        }
        if (req == null || !req.isObject()) return res.put("error", "line " + n + ": expected a JSON object {\"messages\": [...]}");
        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty())
            return res.put("error", "line " + n + ": \"messages\" must be a non-empty list of {\"role\", \"content\"}");
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject() || !m.path("role").isTextual())
                return res.put("error", "line " + n + ": messages[" + i + "] must be an object with a string \"role\"");
        }
        JsonNode agp = req.get("add_generation_prompt");
        if (agp != null && !agp.isNull() && !agp.isBoolean())
            return res.put("error", "line " + n + ": \"add_generation_prompt\" must be true or false, not " + agp);
        JsonNode tools = req.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray())
            return res.put("error", "line " + n + ": \"tools\" must be a list of tool schemas");
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = req.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (List.of("messages", "add_generation_prompt", "tools").contains(e.getKey())) continue;
            if (e.getKey().equals("continue_final_message") && e.getValue().asBoolean(false))
                return res.put("error", "line " + n + ": continue_final_message is not supported");
            kwargs.put(e.getKey(), ChatTemplate.fromJson(e.getValue()));
        }
        try {
            ChatTemplate.Rendered r = template.apply(tok, (List<Object>) ChatTemplate.fromJson(messages), agp != null && agp.asBoolean(),
                tools == null || tools.isNull() ? null : (List<Object>) ChatTemplate.fromJson(tools), kwargs);
            res.put("text", r.text());
            ArrayNode ids = res.putArray("ids");
            for (int id : r.ids()) ids.add(id);
            return res;
        } catch (ChatTemplateException e) {
            return res.put("error", "line " + n + ": " + e.getMessage().replace('\n', ' '));
        }
    }
}
