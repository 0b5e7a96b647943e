package io.peft4j.peft;

import java.util.List;

/**
 * A target specification matched no module of the model. The message lists the requested patterns
 * (and the layer filter, when one was given) and the real module names closest to them by edit
 * distance, so a typo such as {@code "qq"} or {@code "SelfAtention.q"} is easy to fix.
 */
public final class NoMatchingTargetException extends IllegalArgumentException {
    private final List<String> patterns;
    private final List<String> closest;

    public NoMatchingTargetException(List<String> patterns, String filter, List<String> closest, List<String> aliases) {
        super("no module of the model matches the target patterns " + patterns
            + (filter == null || filter.isEmpty() ? "" : " with " + filter)
            + "; closest real module names: " + closest
            + "; peft4j aliases: " + aliases
            + "; list entries match a module name exactly or as a '.suffix', a single string is a full-name regex, 'all-linear' takes every linear but lm_head");
        this.patterns = List.copyOf(patterns);
        this.closest = List.copyOf(closest);
    }

    /** The patterns as requested. */
    public List<String> patterns() { return patterns; }

    /** Real module names (or module-name suffixes) nearest to the patterns, best first. */
    public List<String> closest() { return closest; }
}
