package io.peft4j.tools;

import io.peft4j.data.Example;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The instruction tasks of the demo model's FLAN-style multitask pretraining, generated from one
 * training dialogue (the train split only; never dev or test). FLAN-T5 was instruction-tuned on
 * many tasks with several wordings each, among them dialogue tasks, so it "can summarize a little"
 * before any fine-tuning; these tasks give the demo model the same kind of start:
 *
 * <ul>
 *   <li>{@code TITLE}: a one-sentence gist of the conversation (the first sentence of its summary),
 *       under six wordings, one of which is "Summarize ... in one sentence." The full summaries
 *       (gist and details in one text, in the DialogSum style the fine-tuning teaches) are never targets;</li>
 *   <li>{@code DETAILS}: the specifics the conversation settles (the summary's sentences after the
 *       first), under three wordings;</li>
 *   <li>{@code TOPIC}: the conversation's topic label;</li>
 *   <li>{@code NEXT}: the next turn of a conversation cut after a random turn;</li>
 *   <li>{@code SPEAKER}: which person says a given line.</li>
 * </ul>
 */
public final class DemoTasks {
    /** The kinds of task, with the share each gets among the instruction examples. */
    public enum Kind { TITLE, DETAILS, TOPIC, NEXT, SPEAKER }

    private static final String[] TITLE_PROMPTS = {
        "Summarize the following conversation in one sentence.\n\n{d}\n\nOne sentence: ",
        "What is this conversation mainly about? Answer in one sentence.\n\n{d}\n\nAnswer: ",
        "{d}\n\nGive the gist of the conversation above in one sentence.",
        "Write a one-line headline for this dialogue.\n\n{d}\n\nHeadline: ",
        "Dialogue:\n{d}\n\nWhat happened, in a few words?",
        "Read the conversation and say briefly what it is about.\n\n{d}\n\nBriefly: ",
    };
    private static final String[] DETAILS_PROMPTS = {
        "What details does this conversation settle?\n\n{d}\n\nDetails: ",
        "{d}\n\nList the specifics agreed in the conversation above (numbers, times, prices).",
        "Read the dialogue and write down its key facts.\n\n{d}\n\nFacts: ",
    };
    private static final String[] TOPIC_PROMPTS = {
        "What is the topic of this conversation?\n\n{d}\n\nTopic: ",
        "{d}\n\nWhich topic does the conversation above belong to?",
        "Classify the topic of the dialogue.\n\n{d}\n\nTopic: ",
    };
    private static final String[] NEXT_PROMPTS = {
        "Continue the conversation.\n\n{d}\n\nNext turn: ",
        "{d}\n\nWhat is said next?",
    };
    private static final String[] SPEAKER_PROMPTS = {
        "Who says the line below in this conversation?\n\n{d}\n\nLine: {l}\n\nSpeaker: ",
        "{d}\n\nWhich person said: \"{l}\"?",
    };

    private DemoTasks() {}

    /** One (source, target) pair of the given kind from {@code ex}, or null when the dialogue cannot give one. */
    public static String[] make(Kind kind, Example ex, SplittableRandom rng) {
        String d = ex.dialogue();
        return switch (kind) {
            case TITLE -> {
                String s = firstSentence(ex.summary());
                yield s.isEmpty() ? null : new String[]{fill(pick(TITLE_PROMPTS, rng), d, null), s};
            }
            case DETAILS -> {
                String s = ex.summary().strip(), first = firstSentence(s);
                String rest = s.substring(first.length()).strip();
                yield rest.isEmpty() ? null : new String[]{fill(pick(DETAILS_PROMPTS, rng), d, null), rest};
            }
            case TOPIC -> ex.topic() == null || ex.topic().isBlank() ? null
                : new String[]{fill(pick(TOPIC_PROMPTS, rng), d, null), ex.topic()};
            case NEXT -> {
                List<String> turns = turns(d);
                if (turns.size() < 2) yield null;
                int k = 1 + rng.nextInt(turns.size() - 1);
                yield new String[]{fill(pick(NEXT_PROMPTS, rng), String.join("\n", turns.subList(0, k)), null), turns.get(k)};
            }
            case SPEAKER -> {
                List<String> turns = turns(d);
                if (turns.isEmpty()) yield null;
                String t = turns.get(rng.nextInt(turns.size()));
                int colon = t.indexOf(": ");
                if (colon < 0) yield null;
                yield new String[]{fill(pick(SPEAKER_PROMPTS, rng), d, t.substring(colon + 2)), t.substring(0, colon)};
            }
        };
    }

    /** The first sentence of a summary: up to and including the first '.', '!' or '?' followed by a space or the end. */
    static String firstSentence(String summary) {
        String s = summary.strip();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '.' || c == '!' || c == '?') && (i + 1 == s.length() || s.charAt(i + 1) == ' ')) return s.substring(0, i + 1);
        }
        return s;
    }

    static List<String> turns(String dialogue) {
        List<String> out = new ArrayList<>();
        for (String line : dialogue.split("\n")) if (!line.isBlank()) out.add(line.strip());
        return out;
    }

    private static String pick(String[] options, SplittableRandom rng) { return options[rng.nextInt(options.length)]; }

    private static String fill(String template, String dialogue, String line) {
        int at = template.indexOf("{d}");
        String before = template.substring(0, at), after = template.substring(at + 3);
        if (line != null) { before = before.replace("{l}", line); after = after.replace("{l}", line); }
        return before + dialogue + after;
    }
}
