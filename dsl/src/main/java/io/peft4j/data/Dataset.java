package io.peft4j.data;

import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * An immutable dialogue-summarization dataset backed by a Tablesaw {@link Table}.
 *
 * <p>Required string columns: {@code id}, {@code dialogue}, {@code summary}, {@code topic}.
 * Optional string columns {@code summary1}, {@code summary2}, {@code summary3} hold extra
 * references for multi-reference test sets (DialogSum's test split); empty cells mean "absent".
 * Other columns are carried along but ignored.
 *
 * <p>Every operation returns a new dataset; the prompt template (default
 * {@link PromptTemplate#IDENTITY}) travels with it. Randomness is explicit: {@link #shuffle(long)}
 * and {@link #split(long, double...)} use {@link java.util.Random} whose sequence the Java
 * specification fixes, so a seed gives the same order on every JVM.
 */
public final class Dataset {
    public static final List<String> REQUIRED = List.of("id", "dialogue", "summary", "topic");
    public static final List<String> EXTRA_REFERENCES = List.of("summary1", "summary2", "summary3");

    private final Table table;
    private final PromptTemplate prompt;

    public Dataset(Table table) { this(table, PromptTemplate.IDENTITY); }

    public Dataset(Table table, PromptTemplate prompt) {
        this.table = Objects.requireNonNull(table, "table");
        this.prompt = Objects.requireNonNull(prompt, "prompt");
        for (String name : REQUIRED) requireStringColumn(name, true);
        for (String name : EXTRA_REFERENCES) requireStringColumn(name, false);
    }

    private void requireStringColumn(String name, boolean required) {
        if (!table.containsColumn(name)) {
            if (required) throw new IllegalArgumentException("dataset table '" + table.name()
                + "' lacks column '" + name + "'; required: " + REQUIRED + ", present: " + table.columnNames());
            return;
        }
        Column<?> c = table.column(name);
        if (c.type() != ColumnType.STRING)
            throw new IllegalArgumentException("column '" + name + "' must be STRING, is " + c.type());
    }

    /** Builds a dataset from examples (extra reference columns are added when any example has more than one reference). */
    public static Dataset of(String name, List<Example> examples) {
        int maxRefs = 1;
        for (Example e : examples) maxRefs = Math.max(maxRefs, e.references().size());
        if (maxRefs > 1 + EXTRA_REFERENCES.size())
            throw new IllegalArgumentException("at most " + (1 + EXTRA_REFERENCES.size()) + " references per example, got " + maxRefs);
        Table t = Table.create(name);
        StringColumn id = StringColumn.create("id"), dia = StringColumn.create("dialogue"),
            sum = StringColumn.create("summary"), top = StringColumn.create("topic");
        t.addColumns(id, dia, sum, top);
        List<StringColumn> extra = new ArrayList<>();
        // DialogSum style: summary1..3 repeat all references when there are several
        if (maxRefs > 1) for (int k = 0; k < maxRefs; k++) { StringColumn c = StringColumn.create(EXTRA_REFERENCES.get(k)); extra.add(c); t.addColumns(c); }
        for (Example e : examples) {
            id.append(e.id()); dia.append(e.dialogue()); sum.append(e.summary()); top.append(e.topic());
            for (int k = 0; k < extra.size(); k++) extra.get(k).append(k < e.references().size() ? e.references().get(k) : "");
        }
        return new Dataset(t);
    }

    /** True when the records are conversations ({@link Instructions#MESSAGES} column with content). */
    public boolean hasMessages() {
        return table.containsColumn(Instructions.MESSAGES) && table.stringColumn(Instructions.MESSAGES).asList().stream().anyMatch(s -> !s.isEmpty());
    }

    /** Each record's messages as a JSON array string ("" for prompt/response records), or empty strings when there is no such column. */
    public List<String> messages() {
        if (!table.containsColumn(Instructions.MESSAGES)) return java.util.Collections.nCopies(size(), "");
        return table.stringColumn(Instructions.MESSAGES).asList();
    }

    /**
     * Where each record came from, for error messages: the {@link Instructions#ORIGIN} column
     * ({@code file:line} for instruction files), else {@code row N of 'name'}.
     */
    public List<String> origins() {
        List<String> out = new ArrayList<>(size());
        boolean has = table.containsColumn(Instructions.ORIGIN);
        for (int i = 0; i < size(); i++) {
            String o = has ? table.stringColumn(Instructions.ORIGIN).get(i) : null;
            out.add(o == null || o.isEmpty() ? "row " + (i + 1) + " of '" + name() + "'" : o);
        }
        return out;
    }

    /** The backing table (Tablesaw tables are mutable: treat it as read-only). */
    public Table table() { return table; }
    public PromptTemplate prompt() { return prompt; }
    public int size() { return table.rowCount(); }
    public boolean isEmpty() { return size() == 0; }
    public String name() { return table.name(); }

    public Dataset withPrompt(PromptTemplate template) { return new Dataset(table, template); }

    public Dataset withName(String name) { Table t = table.copy(); t.setName(name); return new Dataset(t, prompt); }

    private String cell(String column, int row) { return table.stringColumn(column).get(row); }

    /** The example at {@code row} (0-based). */
    public Example example(int row) {
        if (row < 0 || row >= size())
            throw new IndexOutOfBoundsException("row " + row + " outside dataset of size " + size());
        String summary = cell("summary", row);
        List<String> refs = new ArrayList<>();
        refs.add(summary);
        for (String name : EXTRA_REFERENCES) {
            if (!table.containsColumn(name)) continue;
            String r = cell(name, row);
            if (r != null && !r.isEmpty() && !refs.contains(r)) refs.add(r);
        }
        return new Example(cell("id", row), cell("dialogue", row), summary, cell("topic", row), refs);
    }

    public List<Example> examples() {
        List<Example> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) out.add(example(i));
        return out;
    }

    /** The model input of each row: the prompt template applied to the dialogue. */
    public List<String> sources() {
        List<String> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) out.add(prompt.apply(cell("dialogue", i), cell("topic", i)));
        return out;
    }

    /** The training target of each row (column {@code summary}). */
    public List<String> targets() { return table.stringColumn("summary").asList(); }

    /** The reference summaries of each row (see {@link Example#references()}). */
    public List<List<String>> references() {
        List<List<String>> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) out.add(example(i).references());
        return out;
    }

    /** The rows at the given indices, in that order. */
    public Dataset select(int... rows) {
        for (int r : rows)
            if (r < 0 || r >= size()) throw new IndexOutOfBoundsException("row " + r + " outside dataset of size " + size());
        Table t = Table.create(table.name());
        for (Column<?> c : table.columns()) t.addColumns(c.subset(rows));
        return new Dataset(t, prompt);
    }

    /** A seeded permutation of the rows (Fisher-Yates with {@code new Random(seed)}). */
    public Dataset shuffle(long seed) { return select(permutation(size(), seed)); }

    static int[] permutation(int n, long seed) {
        int[] idx = IntStream.range(0, n).toArray();
        Random rnd = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        return idx;
    }

    /**
     * Shuffles with {@code seed}, then cuts consecutive parts of the given fractions. Fractions are
     * positive and sum to at most 1 (a sum below 1 leaves the remainder out). Part boundaries are
     * {@code round(cumulativeFraction * size)}, so a sum of 1 uses every row exactly once.
     */
    public List<Dataset> split(long seed, double... fractions) {
        if (fractions == null || fractions.length == 0)
            throw new IllegalArgumentException("split needs at least one fraction");
        double sum = 0;
        for (double f : fractions) {
            if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("split fraction " + f + " must be in (0, 1]");
            sum += f;
        }
        if (sum > 1 + 1e-9) throw new IllegalArgumentException("split fractions " + Arrays.toString(fractions) + " sum to " + sum + " > 1");
        int[] perm = permutation(size(), seed);
        List<Dataset> parts = new ArrayList<>();
        double cum = 0;
        int start = 0;
        for (double f : fractions) {
            cum += f;
            int end = Math.min(size(), (int) Math.round(Math.min(cum, 1.0) * size()));
            parts.add(select(Arrays.copyOfRange(perm, start, end)));
            start = end;
        }
        return parts;
    }

    /** The rows whose example satisfies the predicate, in order. */
    public Dataset filter(Predicate<Example> keep) {
        Objects.requireNonNull(keep, "keep");
        return select(IntStream.range(0, size()).filter(i -> keep.test(example(i))).toArray());
    }

    /** Every {@code n}-th row: rows whose index {@code % n == 0} (the course lab samples with n = 100). */
    public Dataset everyNth(int n) {
        if (n <= 0) throw new IllegalArgumentException("everyNth: n must be >= 1, got " + n);
        return select(IntStream.range(0, size()).filter(i -> i % n == 0).toArray());
    }

    /** The first {@code n} rows (all when {@code n >= size()}). */
    public Dataset head(int n) {
        if (n < 0) throw new IllegalArgumentException("head: n must be >= 0, got " + n);
        return select(IntStream.range(0, Math.min(n, size())).toArray());
    }

    /**
     * SHA-256 (hex) of the examples' contents: for each row in order, the columns id, dialogue,
     * summary, topic and summary1..3 (empty where absent), each length-prefixed UTF-8, then a
     * conversation's messages where the row has them (so conversations that differ only in earlier
     * turns differ). Independent of the table name, the prompt and other columns.
     */
    public String fingerprint() {
        MessageDigest md;
        try { md = MessageDigest.getInstance("SHA-256"); }
        catch (NoSuchAlgorithmException e) { throw new IllegalStateException(e); }
        List<String> cols = new ArrayList<>(REQUIRED);
        cols.addAll(EXTRA_REFERENCES);
        for (int i = 0; i < size(); i++) {
            for (String c : cols) {
                String v = table.containsColumn(c) ? cell(c, i) : "";
                byte[] b = (v == null ? "" : v).getBytes(StandardCharsets.UTF_8);
                md.update(new byte[]{(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
                md.update(b);
            }
            String m = table.containsColumn(Instructions.MESSAGES) ? cell(Instructions.MESSAGES, i) : null;
            if (m != null && !m.isEmpty()) {
                byte[] b = m.getBytes(StandardCharsets.UTF_8);
                md.update((byte) 'M');
                md.update(new byte[]{(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
                md.update(b);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override public String toString() {
        return "Dataset[" + name() + ", " + size() + " rows, columns " + table.columnNames() + "]";
    }
}
