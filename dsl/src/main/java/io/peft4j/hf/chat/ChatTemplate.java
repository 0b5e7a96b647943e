package io.peft4j.hf.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.TokenizerFileException;
import io.peft4j.hf.tokenizer.BpeTokenizerReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A tokenizer's chat template, rendered as transformers' {@code apply_chat_template} renders it.
 *
 * <pre>{@code
 * TextTokenizer tok = TextTokenizer.load(dir);
 * ChatTemplate chat = ChatTemplate.load(dir).orElseThrow();
 * ChatTemplate.Rendered r = chat.apply(tok, List.of(new ChatTemplate.Message("user", "Hi")), true);
 * r.text();   // tokenize=False
 * r.ids();    // tokenize=True: the text encoded without the post-processor's special tokens
 * }</pre>
 *
 * <h2>Where the template comes from</h2>
 * As transformers 5 loads it: {@code chat_template.jinja} in the folder, else
 * {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of
 * {@code {"name", "template"}}); named templates also from {@code additional_chat_templates/*.jinja}.
 * The template named {@code tool_use} is used when tools are given and it exists, else
 * {@code default}.
 *
 * <h2>What the template sees</h2>
 * {@code messages}, {@code tools} and {@code documents} (undefined when not given),
 * {@code add_generation_prompt}, the tokenizer's named special tokens ({@code bos_token},
 * {@code eos_token}, ...) and any extra keyword arguments (which override the special tokens, as in
 * transformers). Values are JSON-like: strings, numbers, booleans, lists, maps; JSON null and a
 * missing value are both "undefined" here (Jinja2 tells None from undefined; see {@link Py}).
 *
 * <h2>Rendering</h2>
 * With jinjava in a {@link Sandbox}: Jinja2 and transformers' settings and built-ins, no access to
 * Java, files or network, bounded time and sizes ({@link Limits}). Every failure is a
 * {@link ChatTemplateException} saying why.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate {
    /**
     * Bounds of one render.
     *
     * @param timeout        wall-clock time
     * @param maxOutputChars characters of output
     * @param maxStringChars characters of any string a filter or method makes
     * @param maxCollection  items of any list a filter makes
     * @param rangeLimit     numbers {@code range()} may produce
     * @param maxDepth       macro recursion and render depth
     */
    public record Limits(Duration timeout, int maxOutputChars, int maxStringChars, int maxCollection, int rangeLimit, int maxDepth) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), 4_000_000, 4_000_000, 1_000_000, 100_000, 64);

        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero() || timeout.toMinutes() > 60)
                throw new IllegalArgumentException("timeout " + timeout + " must be in (0, 60 minutes]");
            positive("maxOutputChars", maxOutputChars);
            positive("maxStringChars", maxStringChars);
            positive("maxCollection", maxCollection);
            positive("rangeLimit", rangeLimit);
            if (maxDepth < 1 || maxDepth > 1000) throw new IllegalArgumentException("maxDepth " + maxDepth + " must be in [1, 1000]");
        }

        private static void positive(String name, int v) {
            if (v < 1) throw new IllegalArgumentException(name + " " + v + " must be at least 1");
        }
    }

    /** A rendered conversation: the text ({@code tokenize=False}) and its ids ({@code tokenize=True}). */
    public record Rendered(String text, int[] ids) {}

    /** A plain chat message. */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", content);
            return m;
        }
    }

    private final Map<String, String> templates;     // name -> source
    private final Map<String, String> specialTokens; // bos_token -> "<s>", ...
    private final Limits limits;
    private final String origin;

    private ChatTemplate(Map<String, String> templates, Map<String, String> specialTokens, Limits limits, String origin) {
        if (templates.isEmpty()) throw new IllegalArgumentException("no chat template");
        this.templates = Map.copyOf(templates);
        this.specialTokens = Map.copyOf(specialTokens);
        this.limits = Objects.requireNonNull(limits, "limits");
        this.origin = origin;
    }

    /** A template from its source, with no special tokens (give them with {@link #withSpecialTokens}). */
    public static ChatTemplate of(String source) {
        return new ChatTemplate(Map.of("default", Objects.requireNonNull(source, "source")), Map.of(), Limits.DEFAULT, "<string>");
    }

    /**
     * The chat template of a tokenizer folder, with the folder's special tokens, or empty when the
     * folder has none.
     *
     * @throws TokenizerFileException naming the file that is unreadable or malformed
     */
    public static Optional<ChatTemplate> load(Path dir) throws TokenizerFileException {
        Map<String, String> templates = new LinkedHashMap<>();
        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = BpeTokenizerReader.readConfig(configFile);
        Map<String, String> specials = Map.of();
        if (config != null) {
            try {
                specials = BpeTokenizerReader.specialTokenStrings(config);
            } catch (IllegalArgumentException e) {
                throw new TokenizerFileException(configFile, e.getMessage(), e);
            }
            JsonNode ct = config.get("chat_template");
            if (ct != null && ct.isTextual()) templates.put("default", ct.asText());
            else if (ct != null && ct.isArray()) {
                for (int i = 0; i < ct.size(); i++) {
                    JsonNode t = ct.get(i);
                    if (!t.path("name").isTextual() || !t.path("template").isTextual())
                        throw new TokenizerFileException(configFile, "chat_template[" + i + "] is not {\"name\": ..., \"template\": ...}");
                    templates.put(t.get("name").asText(), t.get("template").asText());
                }
            } else if (ct != null && !ct.isNull()) {
                throw new TokenizerFileException(configFile, "chat_template is neither a string nor a list of named templates");
            }
        }
        Path file = dir.resolve("chat_template.jinja");
        if (Files.exists(file)) templates.put("default", read(file));
        Path extra = dir.resolve("additional_chat_templates");
        if (Files.isDirectory(extra)) {
            try (Stream<Path> s = Files.list(extra)) {
                for (Path p : s.sorted().toList()) {
                    String n = p.getFileName().toString();
                    if (n.endsWith(".jinja")) templates.put(n.substring(0, n.length() - 6), read(p));
                }
            } catch (IOException e) {
                throw new TokenizerFileException(extra, "cannot list: " + e.getMessage(), e);
            }
        }
        if (templates.isEmpty()) return Optional.empty();
        return Optional.of(new ChatTemplate(templates, specials, Limits.DEFAULT, dir.toString()));
    }

    private static String read(Path file) throws TokenizerFileException {
        try {
            if (Files.size(file) > 16_000_000) throw new TokenizerFileException(file, "chat template larger than 16 MB");
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (TokenizerFileException e) {
            throw e;
        } catch (IOException e) {
            throw new TokenizerFileException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** This template with other named special tokens ({@code bos_token} -> {@code "<s>"}, ...). */
    public ChatTemplate withSpecialTokens(Map<String, String> specials) {
        return new ChatTemplate(templates, specials, limits, origin);
    }

    /** This template with other render bounds. */
    public ChatTemplate withLimits(Limits limits) {
        return new ChatTemplate(templates, specialTokens, limits, origin);
    }

    /** The template source used without tools ({@code default}, or the only one). */
    public String source() { return pick(false); }

    /** Names of the templates ({@code default}, {@code tool_use}, ...). */
    public List<String> names() { return templates.keySet().stream().sorted().toList(); }

    public Limits limits() { return limits; }

    private String pick(boolean tools) {
        if (templates.size() == 1) return templates.values().iterator().next();
        if (tools && templates.containsKey("tool_use")) return templates.get("tool_use");
        String d = templates.get("default");
        if (d == null)
            throw new ChatTemplateException(ChatTemplateException.Kind.INPUT, "the tokenizer has several chat templates " + names()
                + " and none is named \"default\"");
        return d;
    }

    /** {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)}. */
    public String render(List<?> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, null, Map.of());
    }

    /**
     * {@code apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=...,
     * **kwargs)}.
     *
     * @param messages {@link Message}s or maps ({@code role}, {@code content}, {@code tool_calls}, ...)
     * @param tools    tool schemas, or null
     * @param kwargs   extra template variables (e.g. {@code enable_thinking}, {@code date_string})
     * @throws ChatTemplateException when the template fails, raises, or exceeds a limit
     */
    public String render(List<?> messages, boolean addGenerationPrompt, List<?> tools, Map<String, ?> kwargs) {
        if (messages == null || messages.isEmpty())
            throw new ChatTemplateException(ChatTemplateException.Kind.INPUT, "cannot apply a chat template to an empty conversation");
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        List<Object> msgs = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Object m = messages.get(i);
            if (m instanceof Message mm) msgs.add(mm.toMap());
            else if (m instanceof Map<?, ?> map) msgs.add(value(map, "messages[" + i + "]", 0));
            else throw new ChatTemplateException(ChatTemplateException.Kind.INPUT, "messages[" + i + "] is " + Py.typeName(m) + ", not a message (a map with role and content)");
        }
        vars.put("messages", msgs);
        if (tools != null) vars.put("tools", value(tools, "tools", 0));
        vars.put("add_generation_prompt", addGenerationPrompt);
        if (kwargs != null) kwargs.forEach((k, v) -> vars.put(k, value(v, k, 0)));
        return Sandbox.of(limits).render(pick(tools != null), vars);
    }

    /**
     * {@code apply_chat_template(..., tokenize=False)} and {@code tokenize=True} at once: the text,
     * with the tokenizer's special tokens as template variables, and its ids encoded without the
     * post-processor's specials (so a template that writes the BOS itself gets exactly one).
     */
    public Rendered apply(TextTokenizer tokenizer, List<?> messages, boolean addGenerationPrompt, List<?> tools, Map<String, ?> kwargs) {
        Map<String, String> specials = new LinkedHashMap<>(specialTokens);
        specials.putAll(tokenizer.specialTokens());
        String text = withSpecialTokens(specials).render(messages, addGenerationPrompt, tools, kwargs);
        return new Rendered(text, tokenizer.encode(text, false));
    }

    public Rendered apply(TextTokenizer tokenizer, List<?> messages, boolean addGenerationPrompt) {
        return apply(tokenizer, messages, addGenerationPrompt, null, Map.of());
    }

    /** A copy of a JSON-like value as the template's value types (String, Long, Double, Boolean, List, Map, null). */
    private static Object value(Object v, String where, int depth) {
        if (depth > 64) throw new ChatTemplateException(ChatTemplateException.Kind.INPUT, where + " is nested more than 64 levels deep");
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof Message m) return m.toMap();
        if (v instanceof JsonNode n) return fromJson(n);
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), value(e.getValue(), where + "." + e.getKey(), depth + 1));
            return out;
        }
        if (v instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            int i = 0;
            for (Object e : it) out.add(value(e, where + "[" + i++ + "]", depth + 1));
            return out;
        }
        if (v instanceof CharSequence cs) return cs.toString();
        if (v instanceof Number n) return n.doubleValue();
        throw new ChatTemplateException(ChatTemplateException.Kind.INPUT, where + " is a " + v.getClass().getSimpleName() + "; chat templates take strings, numbers, booleans, lists and maps");
    }

    /** A JSON value as the template's value types. */
    public static Object fromJson(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isBoolean()) return n.asBoolean();
        if (n.isIntegralNumber()) return n.canConvertToLong() ? n.asLong() : n.asDouble();
        if (n.isNumber()) return n.asDouble();
        if (n.isArray()) {
            List<Object> out = new ArrayList<>(n.size());
            for (JsonNode e : n) out.add(fromJson(e));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), fromJson(e.getValue()));
        }
        return out;
    }

    @Override public String toString() { return "ChatTemplate" + names() + " from " + origin; }
}
