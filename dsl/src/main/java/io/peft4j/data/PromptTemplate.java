package io.peft4j.data;

import java.util.Objects;

/**
 * A text template that turns a dialogue into the model's source text. Placeholders:
 * {@code {dialogue}} (required) and {@code {topic}} (optional). Substitution is literal: braces
 * inside the dialogue are not interpreted.
 *
 * @param template the template text, containing {@code {dialogue}} exactly once
 */
public record PromptTemplate(String template) {
    /** The course lab's dialogue-summarization prompt (FLAN-T5 style). */
    public static final PromptTemplate SUMMARIZE =
        new PromptTemplate("Summarize the following conversation.\n\n{dialogue}\n\nSummary: ");
    /** The dialogue unchanged. */
    public static final PromptTemplate IDENTITY = new PromptTemplate("{dialogue}");

    public PromptTemplate {
        Objects.requireNonNull(template, "template");
        int first = template.indexOf("{dialogue}");
        if (first < 0)
            throw new IllegalArgumentException("prompt template must contain {dialogue}: \"" + template + "\"");
        if (template.indexOf("{dialogue}", first + 1) >= 0)
            throw new IllegalArgumentException("prompt template must contain {dialogue} once: \"" + template + "\"");
    }

    /** The source text for one dialogue (topic may be null or empty). */
    public String apply(String dialogue, String topic) {
        Objects.requireNonNull(dialogue, "dialogue");
        int at = template.indexOf("{dialogue}");
        String before = template.substring(0, at), after = template.substring(at + "{dialogue}".length());
        String t = topic == null ? "" : topic;
        return before.replace("{topic}", t) + dialogue + after.replace("{topic}", t);
    }

    public String apply(String dialogue) { return apply(dialogue, ""); }
}
