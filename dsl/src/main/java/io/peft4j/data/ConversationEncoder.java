package io.peft4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.hf.chat.ChatTemplateException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A conversation as a decoder-only model trains on it: rendered with the tokenizer's chat template
 * ({@code apply_chat_template(messages, tokenize=True)}, no generation prompt), with the loss on
 * every assistant turn's content and on the end-of-turn token the template writes right after it
 * ({@code <|im_end|>} for Qwen2, {@code <|eot_id|>} for Llama 3, {@code </s>} for Llama 2 and
 * Mistral), labels -100 everywhere else: TRL's assistant-only loss.
 *
 * <h2>Where an assistant turn is</h2>
 * The whole conversation is rendered once; then, for each assistant message, once more with its
 * content replaced by a marker. The text before the marker must be a prefix of the real rendering
 * and the text after it a suffix; what lies between is the content as the template writes it
 * (trimmed, for templates that trim). So text the template writes after the content, and templates
 * whose rendering of earlier turns depends on later ones, need no special case, and the turn's
 * header (what {@code add_generation_prompt} writes) stays outside the loss. A template whose output
 * elsewhere depends on the content (e.g. one that splits reasoning out of it) is refused with a
 * message saying so.
 *
 * <p>Character positions become token positions as TRL finds a prompt's end: the text before a
 * position is encoded alone and the tokens it shares with the whole rendering lie before it, so a
 * token merged across the start of the content counts as content. After the content, whitespace
 * and then a special token (an added token flagged special) form the end of turn; a template that
 * writes none there leaves the turn without an end token ({@link Encoded#turnsWithoutEndToken()}).
 *
 * <p>Immutable and thread-safe.
 */
public final class ConversationEncoder {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One assistant turn in token positions: labels on [start, end); its end-of-turn tokens are [contentEnd, end). */
    public record Turn(int start, int contentEnd, int end) {}

    /**
     * A rendered conversation.
     *
     * @param text                 the rendered text ({@code tokenize=False})
     * @param ids                  its ids ({@code tokenize=True}: without the post-processor's specials)
     * @param labels               ids on the assistant turns, -100 elsewhere
     * @param turns                the assistant turns, in order
     * @param turnsWithoutEndToken assistant turns the template ends with no special token
     */
    public record Encoded(String text, int[] ids, int[] labels, List<Turn> turns, int turnsWithoutEndToken) {}

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;

    public ConversationEncoder(TextTokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.template = Objects.requireNonNull(template, "template");
    }

    /**
     * Parses a messages array as {@link Instructions} stores it (JSON text) into template values.
     *
     * @throws IllegalArgumentException when it is not a non-empty JSON array of objects
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> parse(String messagesJson) {
        JsonNode n;
        try { n = JSON.readTree(messagesJson); }
        catch (IOException e) { throw new IllegalArgumentException("\"messages\" is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e); }
        if (n == null || !n.isArray() || n.isEmpty()) throw new IllegalArgumentException("\"messages\" must be a non-empty array of {\"role\", \"content\"}");
        List<Map<String, Object>> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isObject()) throw new IllegalArgumentException("messages[" + i + "] must be an object with \"role\" and \"content\"");
            out.add((Map<String, Object>) ChatTemplate.fromJson(n.get(i)));
        }
        return out;
    }

    /**
     * Renders and labels one conversation (no truncation).
     *
     * @param messages maps with {@code role} and {@code content} (strings), and whatever else the template reads
     * @throws IllegalArgumentException when there is no assistant turn, the template refuses the
     *         conversation, or an assistant turn cannot be located (the message says which and why)
     */
    public Encoded encode(List<Map<String, Object>> messages) {
        Objects.requireNonNull(messages, "messages");
        List<Integer> assistant = new ArrayList<>();
        for (int k = 0; k < messages.size(); k++) {
            Object role = messages.get(k).get("role");
            if ("assistant".equals(role)) {
                if (!(messages.get(k).get("content") instanceof String))
                    throw new IllegalArgumentException("messages[" + k + "]: an assistant turn needs a string \"content\"");
                assistant.add(k);
            }
        }
        if (assistant.isEmpty()) throw new IllegalArgumentException("the conversation has no assistant turn: the loss is on the assistant's turns");
        String text = render(messages);
        int[] ids = tokenizer.encode(text, false);
        checkIds(ids);
        int[] labels = new int[ids.length];
        Arrays.fill(labels, Batcher.IGNORE);
        List<Turn> turns = new ArrayList<>(assistant.size());
        int withoutEnd = 0, previousEnd = 0;
        for (int k : assistant) {
            int[] chars = contentSpan(messages, k, text);
            Turn t = turn(text, ids, chars[0], chars[1]);
            if (t.start() < previousEnd)
                throw new IllegalArgumentException("messages[" + k + "]: the chat template writes this assistant turn before the end of the previous one");
            if (t.end() == t.contentEnd()) withoutEnd++;
            System.arraycopy(ids, t.start(), labels, t.start(), t.end() - t.start());
            turns.add(t);
            previousEnd = t.end();
        }
        return new Encoded(text, ids, labels, List.copyOf(turns), withoutEnd);
    }

    private String render(List<Map<String, Object>> messages) {
        try {
            // the tokenizer's named special tokens as template variables, as apply_chat_template passes them
            return template.render(messages, false, null, tokenizer.specialTokens());
        } catch (ChatTemplateException e) {
            throw new IllegalArgumentException("the chat template refuses the conversation: " + e.getMessage(), e);
        }
    }

    /** Character span [start, end) of message k's content in {@code text}, found by rendering it replaced by a marker. */
    private int[] contentSpan(List<Map<String, Object>> messages, int k, String text) {
        String marker = "\uE000peft4j-content-" + k + "\uE001";
        if (text.contains(marker)) throw new IllegalArgumentException("messages[" + k + "]: the conversation contains peft4j's marker text " + marker);
        List<Map<String, Object>> probe = new ArrayList<>(messages);
        Map<String, Object> m = new LinkedHashMap<>(messages.get(k));
        m.put("content", marker);
        probe.set(k, m);
        String r = render(probe);
        int p = r.indexOf(marker);
        if (p < 0) throw new IllegalArgumentException("messages[" + k + "]: the chat template does not write this assistant turn's content");
        if (r.indexOf(marker, p + 1) >= 0) throw new IllegalArgumentException("messages[" + k + "]: the chat template writes this assistant turn's content more than once");
        String before = r.substring(0, p), after = r.substring(p + marker.length());
        if (before.length() + after.length() > text.length() || !text.startsWith(before) || !text.endsWith(after))
            throw new IllegalArgumentException("messages[" + k + "]: the chat template writes other text differently depending on this assistant turn's content "
                + "(e.g. it splits reasoning out of it), so which tokens are the assistant's is unclear; write the turn without such markup");
        return new int[]{before.length(), text.length() - after.length()};
    }

    /** Token positions of an assistant turn whose content is text[cs, ce). */
    private Turn turn(String text, int[] ids, int cs, int ce) {
        int start = commonPrefix(tokenizer.encode(text.substring(0, cs), false), ids);
        int[] upToEnd = tokenizer.encode(text.substring(0, ce), false);
        int contentEnd = commonPrefix(upToEnd, ids);
        if (contentEnd < upToEnd.length) contentEnd = Math.min(ids.length, contentEnd + 1);   // a token across the content's end is content
        contentEnd = Math.max(contentEnd, start);
        int w = ce;
        while (w < text.length() && Character.isWhitespace(text.charAt(w))) w++;
        if (w < text.length()) {
            int j = commonPrefix(tokenizer.encode(text.substring(0, w), false), ids);
            if (j >= contentEnd && j < ids.length && tokenizer.isSpecial(ids[j]) && text.startsWith(tokenizer.idToPiece(ids[j]), w))
                return new Turn(start, contentEnd, j + 1);
            // an added token that strips the whitespace before it (lstrip) absorbs it: its id directly follows the content
            if (contentEnd < ids.length && tokenizer.isSpecial(ids[contentEnd]) && text.startsWith(tokenizer.idToPiece(ids[contentEnd]), w))
                return new Turn(start, contentEnd, contentEnd + 1);
        }
        return new Turn(start, contentEnd, contentEnd);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private void checkIds(int[] ids) {
        int vocab = tokenizer.vocabSize();
        for (int id : ids)
            if (id < 0 || id >= vocab) throw new IllegalStateException("the tokenizer produced id " + id + " outside [0, " + vocab + ")");
    }
}
