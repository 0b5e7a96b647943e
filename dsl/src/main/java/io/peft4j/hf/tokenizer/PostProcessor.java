package io.peft4j.hf.tokenizer;

import java.util.List;

/**
 * What a {@code tokenizer.json} post-processor does to the ids of one sequence when special tokens
 * are asked for (Hugging Face's default {@code add_special_tokens=True}). Offsets, type ids and
 * pairs are not modelled: this project encodes single sequences.
 */
sealed interface PostProcessor {
    int[] process(int[] ids);

    /** The largest id this processor adds, or -1. */
    int maxId();

    /** Ids to put before and after the sequence (TemplateProcessing, Roberta/Bert processing). */
    record Template(int[] before, int[] after) implements PostProcessor {
        @Override public int[] process(int[] ids) {
            int[] out = new int[before.length + ids.length + after.length];
            System.arraycopy(before, 0, out, 0, before.length);
            System.arraycopy(ids, 0, out, before.length, ids.length);
            System.arraycopy(after, 0, out, before.length + ids.length, after.length);
            return out;
        }

        @Override public int maxId() {
            int m = -1;
            for (int x : before) m = Math.max(m, x);
            for (int x : after) m = Math.max(m, x);
            return m;
        }
    }

    /** Leaves the ids alone (ByteLevel: offsets only). */
    record Identity() implements PostProcessor {
        @Override public int[] process(int[] ids) { return ids; }

        @Override public int maxId() { return -1; }
    }

    /** Processors applied in order. */
    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        public Sequence { steps = List.copyOf(steps); }

        @Override public int[] process(int[] ids) {
            for (PostProcessor p : steps) ids = p.process(ids);
            return ids;
        }

        @Override public int maxId() { return steps.stream().mapToInt(PostProcessor::maxId).max().orElse(-1); }
    }
}
