package io.peft4j.eval;

import java.util.List;

/**
 * A ROUGE variant, named as rouge_score names it: {@code rouge1} ... {@code rouge9} (n-gram
 * overlap), {@code rougeL} (LCS over the whole token sequence) and {@code rougeLsum} (summary-level
 * union LCS over newline-separated sentences).
 *
 * @param name rouge_score's name of the type
 * @param n    n-gram order for ROUGE-N, 0 for the LCS types
 */
public record RougeType(String name, int n) {

    public static final RougeType ROUGE1 = new RougeType("rouge1", 1);
    public static final RougeType ROUGE2 = new RougeType("rouge2", 2);
    public static final RougeType ROUGE_L = new RougeType("rougeL", 0);
    public static final RougeType ROUGE_LSUM = new RougeType("rougeLsum", 0);

    /** rouge1, rouge2, rougeL, rougeLsum: the four types Hugging Face's {@code evaluate} reports. */
    public static final List<RougeType> STANDARD = List.of(ROUGE1, ROUGE2, ROUGE_L, ROUGE_LSUM);

    public RougeType {
        boolean ok = (name.equals("rougeL") || name.equals("rougeLsum")) ? n == 0
            : name.matches("rouge[1-9]") && n == name.charAt(5) - '0';
        if (!ok) throw new IllegalArgumentException("invalid rouge type " + name + " (n=" + n
            + "); valid: rouge1..rouge9, rougeL, rougeLsum");
    }

    public boolean isNgram() { return n > 0; }

    /** Parses rouge_score's name; throws naming the valid names otherwise. */
    public static RougeType parse(String name) {
        if (name == null) throw new IllegalArgumentException("rouge type is null; valid: rouge1..rouge9, rougeL, rougeLsum");
        if (name.equals("rougeL")) return ROUGE_L;
        if (name.equals("rougeLsum")) return ROUGE_LSUM;
        if (name.matches("rouge[1-9]")) return new RougeType(name, name.charAt(5) - '0');
        throw new IllegalArgumentException("invalid rouge type '" + name + "'; valid: rouge1..rouge9, rougeL, rougeLsum");
    }

    @Override public String toString() { return name; }
}
