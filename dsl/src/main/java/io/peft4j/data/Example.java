package io.peft4j.data;

import java.util.List;
import java.util.Objects;

/**
 * One dialogue-summarization record.
 *
 * @param id         record id ({@code fname} in DialogSum)
 * @param dialogue   the conversation, one {@code #PersonN#: } turn per line
 * @param summary    the (first) reference summary: the training target
 * @param topic      a short topic label (may be empty)
 * @param references all reference summaries for evaluation: {@code summary} first, then any
 *                   non-empty {@code summary1..3}, without duplicates of the first
 */
public record Example(String id, String dialogue, String summary, String topic, List<String> references) {
    public Example {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dialogue, "dialogue");
        Objects.requireNonNull(summary, "summary");
        topic = topic == null ? "" : topic;
        references = references == null || references.isEmpty() ? List.of(summary) : List.copyOf(references);
    }

    public Example(String id, String dialogue, String summary, String topic) {
        this(id, dialogue, summary, topic, List.of(summary));
    }
}
