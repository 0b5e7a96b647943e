package io.peft4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Instruction data in the two JSONL layouts fine-tuning tools read: one record per line, either
 * {@code {"prompt": ..., "response": ...}} or {@code {"messages": [{"role": ..., "content": ...}, ...]}}
 * (roles {@code system}, {@code user}, {@code assistant}; the last message is the assistant's).
 *
 * <p>Records become a {@link Dataset}: the prompt is its source (the {@code dialogue} column), the
 * response its target and reference ({@code summary}); a conversation keeps its messages as JSON in
 * a {@value #MESSAGES} column, the last user turn as source and the last assistant turn as target, so
 * ROUGE and the tables work unchanged. Each record's {@code file:line} is kept in the
 * {@value #ORIGIN} column, for errors found later (e.g. when a chat template renders it). A bad
 * record is an error naming the file, the line and what is wrong; nothing is silently skipped.
 *
 * <p>Training a decoder-only model: a prompt/response record is the plain text prompt + response +
 * eos with the loss on the response ({@link CausalBatcher}); a conversation is rendered with the
 * model's chat template, with the loss on every assistant turn's content and its end-of-turn token
 * ({@link ConversationEncoder}). Encoder-decoder models (T5) take prompt/response records only.
 */
public final class Instructions {
    /** The column holding a conversation's messages as a JSON array (empty for prompt/response records). */
    public static final String MESSAGES = "messages";
    /** The column holding each record's {@code file:line}. */
    public static final String ORIGIN = "origin";
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Instructions() {}

    /** Reads one JSONL file of instruction records. */
    public static Dataset read(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("instructions: " + file + " is not a file");
        String name = file.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        StringColumn id = StringColumn.create("id"), prompt = StringColumn.create("dialogue"), response = StringColumn.create("summary"),
            topic = StringColumn.create("topic"), messages = StringColumn.create(MESSAGES),
            origin = StringColumn.create(ORIGIN);
        int lineNo = 0, row = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                String where = file + ":" + lineNo;
                JsonNode n;
                try { n = JSON.readTree(line); }
                catch (IOException e) { throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e); }
                if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object, got " + (n == null ? "nothing" : n.getNodeType()));
                origin.append(where);
                JsonNode idn = n.get("id");
                id.append(idn != null && idn.isValueNode() ? idn.asText() : name + "_" + row);
                topic.append(n.hasNonNull("topic") ? n.get("topic").asText() : "");
                if (n.has(MESSAGES)) {
                    if (n.has("prompt") || n.has("response"))
                        throw new IllegalArgumentException(where + ": a record has either \"messages\" or \"prompt\"/\"response\", not both");
                    String[] pr = conversation(where, n.get(MESSAGES));
                    prompt.append(pr[0]);
                    response.append(pr[1]);
                    messages.append(n.get(MESSAGES).toString());
                } else {
                    prompt.append(text(where, n, "prompt"));
                    response.append(text(where, n, "response"));
                    messages.append("");
                }
                row++;
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ":" + (lineNo + 1) + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        if (row == 0) throw new IllegalArgumentException("instructions: " + file + " holds no records");
        return new Dataset(Table.create(name, id, prompt, response, topic, messages, origin));
    }

    private static String text(String where, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull())
            throw new IllegalArgumentException(where + ": missing field \"" + field + "\" (records are {\"prompt\", \"response\"} or {\"messages\": [...]})");
        if (!v.isTextual()) throw new IllegalArgumentException(where + ": field \"" + field + "\" must be a string, got " + v.getNodeType());
        return v.textValue();
    }

    /** Validates a messages array; returns {last user content, last assistant content}. */
    private static String[] conversation(String where, JsonNode msgs) {
        if (msgs == null || !msgs.isArray() || msgs.isEmpty())
            throw new IllegalArgumentException(where + ": \"messages\" must be a non-empty array of {\"role\", \"content\"}");
        String lastUser = "", lastAssistant = null;
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            String at = where + ": messages[" + i + "]";
            if (!m.isObject()) throw new IllegalArgumentException(at + " must be an object with \"role\" and \"content\"");
            JsonNode role = m.get("role"), content = m.get("content");
            if (role == null || !role.isTextual() || !ROLES.contains(role.textValue()))
                throw new IllegalArgumentException(at + ": role " + (role == null ? "is missing" : role + " is invalid") + "; allowed " + List.of("system", "user", "assistant"));
            if (content == null || !content.isTextual())
                throw new IllegalArgumentException(at + ": \"content\" must be a string");
            if (role.textValue().equals("user")) lastUser = content.textValue();
            if (role.textValue().equals("assistant")) lastAssistant = content.textValue();
        }
        if (lastAssistant == null)
            throw new IllegalArgumentException(where + ": the conversation has no assistant turn (the model learns the assistant's turns); roles present: "
                + roleList(msgs));
        String lastRole = msgs.get(msgs.size() - 1).get("role").textValue();
        if (!lastRole.equals("assistant"))
            throw new IllegalArgumentException(where + ": the last message must be the assistant's (it is what the model learns to answer), got role \"" + lastRole + "\"");
        return new String[]{lastUser, lastAssistant};
    }

    private static List<String> roleList(JsonNode msgs) {
        List<String> roles = new java.util.ArrayList<>();
        for (JsonNode m : msgs) roles.add(m.get("role").textValue());
        return roles;
    }

    /**
     * A folder with {@code train.jsonl} (and optionally {@code dev.jsonl}, {@code test.jsonl}), or
     * one file, split 80/10/10 into train/dev/test with {@code seed}.
     */
    public static DatasetSplits splits(Path dirOrFile, long seed) {
        if (Files.isRegularFile(dirOrFile)) {
            Dataset all = read(dirOrFile);
            if (all.size() < 3) return DatasetSplits.of(all.name(), all, null, null);
            List<Dataset> parts = all.split(seed, 0.8, 0.1, 0.1);
            return DatasetSplits.of(all.name(), parts.get(0).withName(all.name() + "-train"), parts.get(1).withName(all.name() + "-dev"),
                parts.get(2).withName(all.name() + "-test"));
        }
        if (!Files.isDirectory(dirOrFile)) throw new IllegalArgumentException("instructions: " + dirOrFile + " is neither a folder nor a file");
        Path tr = dirOrFile.resolve("train.jsonl"), dv = dirOrFile.resolve("dev.jsonl"), te = dirOrFile.resolve("test.jsonl");
        if (!Files.isRegularFile(tr)) throw new IllegalArgumentException("instructions: " + dirOrFile + " has no train.jsonl");
        return new DatasetSplits(dirOrFile.getFileName() == null ? "instructions" : dirOrFile.getFileName().toString(), () -> read(tr),
            Files.isRegularFile(dv) ? () -> read(dv) : null, Files.isRegularFile(te) ? () -> read(te) : null);
    }
}
