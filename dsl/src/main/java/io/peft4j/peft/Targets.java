package io.peft4j.peft;

import java.util.List;
import java.util.Objects;

/**
 * What a PEFT method is applied to, in Hugging Face PEFT's three forms plus peft4j's aliases.
 *
 * <ul>
 *   <li>{@link Names}: a list; each entry matches a module name exactly or as a {@code .suffix}
 *       (PEFT's {@code target_modules=["q","v"]}). Entries may also be peft4j aliases
 *       ({@code attn.q}, {@code self.v}, {@code cross.o}, {@code ffn.wi}, {@code ffn.wo}), which
 *       {@link TargetResolver} translates to PEFT suffixes before matching.</li>
 *   <li>{@link Regex}: a single string, matched against the whole module name
 *       (PEFT's {@code target_modules="...regex..."}).</li>
 *   <li>{@link AllLinear}: every linear module except the LM head (PEFT's {@code "all-linear"}).</li>
 * </ul>
 */
public sealed interface Targets permits Targets.Names, Targets.Regex, Targets.AllLinear {

    /** A list of names, suffixes or aliases. */
    record Names(List<String> entries) implements Targets {
        public Names {
            Objects.requireNonNull(entries, "target entries");
            if (entries.isEmpty())
                throw new IllegalArgumentException("targets: the list is empty; give at least one module name, suffix or alias (e.g. \"attn.q\", \"q\", \"all-linear\")");
            for (String e : entries)
                if (e == null || e.isBlank())
                    throw new IllegalArgumentException("targets: blank entry in " + entries + "; every entry must name a module, a suffix or an alias");
            entries = List.copyOf(entries);
        }
        @Override public String toString() { return entries.toString(); }
    }

    /** One regular expression that must match the full module name. */
    record Regex(String pattern) implements Targets {
        public Regex {
            if (pattern == null || pattern.isBlank())
                throw new IllegalArgumentException("targets: regex is blank; give a pattern matching whole module names, e.g. \".*SelfAttention\\\\.(q|v)\"");
            try { java.util.regex.Pattern.compile(pattern); }
            catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("targets: regex '" + pattern + "' does not compile: " + e.getDescription());
            }
        }
        @Override public String toString() { return "\"" + pattern + "\""; }
    }

    /** Every linear module except the output layer. */
    record AllLinear() implements Targets {
        @Override public String toString() { return "all-linear"; }
    }

    /**
     * A string as PEFT reads {@code target_modules="..."}: {@code "all-linear"} gives
     * {@link AllLinear}, anything else is a {@link Regex} matched against whole module names.
     */
    static Targets fromPeftString(String single) {
        return "all-linear".equalsIgnoreCase(single) ? new AllLinear() : new Regex(single);
    }

    /** A regex matched against whole module names (PEFT's single-string form). */
    static Targets regex(String pattern) { return new Regex(pattern); }

    /** A list of names, suffixes or aliases; {@code "all-linear"} alone means {@link AllLinear}. */
    static Targets of(String... entries) {
        if (entries.length == 1 && "all-linear".equals(entries[0])) return new AllLinear();
        return new Names(List.of(entries));
    }

    static Targets of(List<String> entries) { return of(entries.toArray(String[]::new)); }

    /** The patterns as the user wrote them, for messages. */
    default List<String> patterns() {
        if (this instanceof Names n) return n.entries();
        if (this instanceof Regex r) return List.of(r.pattern());
        return List.of("all-linear");
    }
}
