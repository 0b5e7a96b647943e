package io.peft4j.peft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides which linear modules of a model a PEFT method wraps, with Hugging Face PEFT's rules
 * (peft 0.21 {@code check_target_module_exists}) plus peft4j's T5 aliases.
 *
 * <p>PEFT rules, applied to Hugging Face module names such as
 * {@code decoder.block.3.layer.1.EncDecAttention.q}:
 * <ul>
 *   <li>a list entry matches a module whose name equals it or ends with {@code "." + entry};</li>
 *   <li>a single string is a regex that must match the whole name ({@code re.fullmatch});</li>
 *   <li>{@code all-linear}: every linear module except the output layer ({@code lm_head});</li>
 *   <li>{@code layers_to_transform} (list entries only, not exact-name or regex hits): the layer
 *       index is the first numbered segment ({@code block.3} gives 3), or the number after one of
 *       the {@code layers_pattern} names;</li>
 *   <li>{@code rank_pattern}/{@code alpha_pattern}: the first key (in insertion order) for which
 *       {@code (.*\.)?(key)$} matches the module name wins.</li>
 * </ul>
 *
 * <p>Aliases come from the model ({@code LanguageModel.targetAliases()}) and are translated to PEFT
 * suffixes first, so a saved config is plain PEFT; an alias stands for those of its suffixes the model
 * has. T5's ({@link #T5_ALIASES}): {@code attn.q|k|v|o} = that projection in every attention (PEFT suffix {@code q}...; T5's
 * default {@code ["q","v"]} is {@code attn.q, attn.v}); {@code self.X} = {@code SelfAttention.X}
 * (encoder and decoder self-attention); {@code cross.X} = {@code EncDecAttention.X};
 * {@code ffn.wi} = {@code wi} or {@code wi_0} and {@code wi_1} (whichever the model has);
 * {@code ffn.wo} = {@code wo}.
 */
public final class TargetResolver {
    /** Name of the output layer, never targeted by {@code all-linear}. */
    public static final String OUTPUT_LAYER = "lm_head";

    /** T5's aliases and the PEFT suffixes each stands for. */
    public static final Map<String, List<String>> T5_ALIASES = t5Aliases();

    private static Map<String, List<String>> t5Aliases() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String p : List.of("q", "k", "v", "o")) m.put("attn." + p, List.of(p));
        for (String p : List.of("q", "k", "v", "o")) m.put("self." + p, List.of("SelfAttention." + p));
        for (String p : List.of("q", "k", "v", "o")) m.put("cross." + p, List.of("EncDecAttention." + p));
        m.put("ffn.wi", List.of("wi", "wi_0", "wi_1"));
        m.put("ffn.wo", List.of("wo"));
        return java.util.Collections.unmodifiableMap(m);
    }

    private static final Pattern FIRST_INDEX = Pattern.compile("^.*?\\.[^.]*\\.(\\d+)\\.");

    private final List<String> modules;   // in model order
    private final Map<String, List<String>> aliases;

    /** With T5's aliases. @param moduleNames every linear module of the model (the keys of {@code projections()}) */
    public TargetResolver(Collection<String> moduleNames) { this(moduleNames, T5_ALIASES); }

    /** @param aliases alias -> PEFT suffixes (the model's {@code targetAliases()}) */
    public TargetResolver(Collection<String> moduleNames, Map<String, List<String>> aliases) {
        this.modules = List.copyOf(moduleNames);
        this.aliases = Map.copyOf(aliases);
    }

    /** The resolver of a model: its linear modules and its family's aliases. */
    public static TargetResolver of(io.peft4j.model.LanguageModel model) {
        return new TargetResolver(model.projections().keySet(), model.targetAliases());
    }

    /** The alias names this resolver accepts. */
    public List<String> aliasNames() { return new ArrayList<>(new java.util.TreeSet<>(aliases.keySet())); }

    public List<String> modules() { return modules; }

    /**
     * Translates aliases to PEFT suffixes and {@code all-linear} to the set of last name parts of
     * every linear but the output layer (what PEFT itself stores after resolving "all-linear").
     */
    public Targets toPeft(Targets targets) {
        if (targets instanceof Targets.Regex) return targets;
        if (targets instanceof Targets.AllLinear) {
            Set<String> last = new LinkedHashSet<>();
            for (String m : modules) if (!m.equals(OUTPUT_LAYER)) last.add(m.substring(m.lastIndexOf('.') + 1));
            return new Targets.Names(new ArrayList<>(last));
        }
        Set<String> out = new LinkedHashSet<>();
        for (String e : ((Targets.Names) targets).entries()) out.addAll(expandAlias(e));
        return new Targets.Names(new ArrayList<>(out));
    }

    private List<String> expandAlias(String entry) {
        List<String> suffixes = aliases.get(entry);
        if (suffixes == null) {
            int dot = entry.indexOf('.');
            if (dot > 0 && aliases.keySet().stream().anyMatch(k -> k.startsWith(entry.substring(0, dot + 1)))
                    && modules.stream().noneMatch(m -> m.equals(entry) || m.endsWith("." + entry)))
                throw new IllegalArgumentException("unknown target alias '" + entry + "'; aliases are " + aliasNames());
            return List.of(entry);
        }
        List<String> present = new ArrayList<>();
        for (String sfx : suffixes) if (modules.stream().anyMatch(m -> m.equals(sfx) || m.endsWith("." + sfx))) present.add(sfx);
        return present.isEmpty() ? suffixes : present;
    }

    /**
     * The modules the targets select, in model order.
     *
     * @param layersToTransform layer indexes to keep (empty: all)
     * @param layersPattern names before the layer index ({@code "block"}); empty: first numbered segment
     * @param exclude modules never to target (PEFT excludes modules_to_save), matched like list entries
     * @throws NoMatchingTargetException when nothing matches
     */
    public List<String> resolve(Targets targets, List<Integer> layersToTransform, List<String> layersPattern,
                                List<String> exclude) {
        Targets peft = toPeft(targets);
        List<String> hits = new ArrayList<>();
        for (String m : modules) {
            if (m.equals(OUTPUT_LAYER) && targets instanceof Targets.AllLinear) continue;
            if (isExcluded(m, exclude)) continue;
            if (matches(peft, m, layersToTransform, layersPattern)) hits.add(m);
        }
        if (hits.isEmpty()) {
            String filter = layersToTransform.isEmpty() ? "" : "layers_to_transform " + layersToTransform
                + (layersPattern.isEmpty() ? "" : " (layers_pattern " + layersPattern + ")");
            throw new NoMatchingTargetException(targets.patterns(), filter, closest(targets.patterns(), 5), aliasNames());
        }
        return hits;
    }

    public List<String> resolve(Targets targets) { return resolve(targets, List.of(), List.of(), List.of()); }

    private static boolean isExcluded(String m, List<String> exclude) {
        for (String e : exclude) if (Pattern.compile("(^|.*\\.)" + e + "($|\\..*)").matcher(m).matches()) return true;
        return false;
    }

    /** PEFT's {@code check_target_module_exists} for targets already translated by {@link #toPeft}. */
    static boolean matches(Targets peft, String key, List<Integer> layers, List<String> layersPattern) {
        if (peft instanceof Targets.Regex r) return Pattern.compile(r.pattern()).matcher(key).matches();
        List<String> entries = ((Targets.Names) peft).entries();
        if (entries.contains(key)) return true;
        boolean found = false;
        for (String t : entries) if (key.endsWith("." + t)) { found = true; break; }
        if (!found || layers.isEmpty()) return found;
        Integer idx = layerIndex(key, layersPattern);
        return idx != null && layers.contains(idx);
    }

    /** The layer index PEFT reads from a module name, or null when there is none. */
    public static Integer layerIndex(String key, List<String> layersPattern) {
        Matcher m = null;
        if (layersPattern.isEmpty()) {
            m = FIRST_INDEX.matcher(key);
            if (!m.find()) return null;
        } else {
            for (String p : layersPattern) {
                Matcher c = Pattern.compile("^(?:|.*?\\.)" + p + "\\.(\\d+)\\.").matcher(key);
                if (c.find()) { m = c; break; }
            }
            if (m == null) return null;
        }
        return Integer.parseInt(m.group(1));
    }

    /** PEFT's {@code get_pattern_key}: the first key whose {@code (.*\.)?(key)$} matches the module, or null. */
    public static String patternKey(Collection<String> keys, String module) {
        for (String k : keys) if (matchesAnchored(k, module)) return k;
        return null;
    }

    private static boolean matchesAnchored(String k, String module) {
        // re.match anchors at the start; "$" at the end: together a full match of (.*\.)?(key)
        return Pattern.compile("(.*\\.)?(" + k + ")").matcher(module).matches();
    }

    /** Real module names and their dotted suffixes closest to the patterns by edit distance. */
    List<String> closest(List<String> patterns, int n) {
        Set<String> candidates = new LinkedHashSet<>();
        for (String m : modules) {
            candidates.add(m);
            String[] parts = m.split("\\.");
            for (int k = 1; k <= Math.min(2, parts.length); k++)
                candidates.add(String.join(".", java.util.Arrays.copyOfRange(parts, parts.length - k, parts.length)));
        }
        candidates.addAll(aliases.keySet());
        Map<String, Integer> best = new LinkedHashMap<>();
        for (String c : candidates) {
            int d = Integer.MAX_VALUE;
            for (String p : patterns) d = Math.min(d, editDistance(p, c));
            best.put(c, d);
        }
        List<String> sorted = new ArrayList<>(best.keySet());
        sorted.sort(Comparator.comparingInt((String c) -> best.get(c)).thenComparingInt(String::length));
        return sorted.subList(0, Math.min(n, sorted.size()));
    }

    /** Levenshtein distance. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
