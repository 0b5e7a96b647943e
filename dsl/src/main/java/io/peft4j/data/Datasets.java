package io.peft4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loaders for dialogue-summarization corpora.
 * <ul>
 *   <li>{@link #dialogsum(Path)}: DialogSum's JSON lines (fname, dialogue, summary, topic; the test
 *       split has summary1..3 and topic1..3) in a folder, as {@code dialogsum.<split>.jsonl} or
 *       {@code <split>.jsonl} (the project's own {@code datasets/dialogues});</li>
 *   <li>{@link #jsonl(Path)}: JSON-lines exports of Hugging Face datasets such as
 *       {@code knkarthick/dialogsum} (id, dialogue, summary, topic);</li>
 *   <li>{@link #csv(Path)}: CSV with a header row and the same columns.</li>
 * </ul>
 * In every format the id may be named {@code id} or {@code fname}; a missing id becomes
 * {@code <file stem>_<row>}, a missing topic the empty string. When {@code summary} is absent but
 * {@code summary1} is present, {@code summary1} is the training target (DialogSum's test split).
 */
public final class Datasets {
    private Datasets() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SPLITS = {"train", "dev", "test"};

    /**
     * A DialogSum-style corpus. {@code dirOrFile} is a folder holding
     * {@code [dialogsum.]train.jsonl}, {@code [dialogsum.]dev.jsonl} (or {@code validation}) and
     * optionally {@code [dialogsum.]test.jsonl}; or one such file, which becomes the split its name
     * says (train when the name says none).
     */
    public static DatasetSplits dialogsum(Path dirOrFile) {
        if (dirOrFile == null) throw new IllegalArgumentException("dialogsum: path is null");
        if (Files.isRegularFile(dirOrFile)) {
            String split = splitOf(dirOrFile.getFileName().toString());
            Dataset d = jsonl(dirOrFile);
            return DatasetSplits.of(stem(dirOrFile), split.equals("train") ? d : null,
                split.equals("dev") ? d : null, split.equals("test") ? d : null);
        }
        if (!Files.isDirectory(dirOrFile))
            throw new IllegalArgumentException("dialogsum: " + dirOrFile + " is neither a folder nor a file");
        Path[] files = new Path[3];
        for (int s = 0; s < 3; s++) files[s] = findSplit(dirOrFile, SPLITS[s]);
        if (files[0] == null && files[1] == null && files[2] == null)
            throw new IllegalArgumentException("dialogsum: no split files in " + dirOrFile
                + "; expected dialogsum.{train,dev,test}.jsonl or {train,dev,test}.jsonl");
        Path tr = files[0], dv = files[1], te = files[2];
        return new DatasetSplits(dirOrFile.getFileName() == null ? "dialogsum" : dirOrFile.getFileName().toString(),
            tr == null ? null : () -> jsonl(tr), dv == null ? null : () -> jsonl(dv), te == null ? null : () -> jsonl(te));
    }

    /**
     * Instruction data: JSONL records {@code {"prompt", "response"}} or {@code {"messages": [...]}}
     * ({@link Instructions}). A folder holds {@code train.jsonl} (and optionally {@code dev.jsonl},
     * {@code test.jsonl}); one file is split 80/10/10 into train/dev/test (seed 42).
     */
    public static DatasetSplits instructions(Path dirOrFile) {
        if (dirOrFile == null) throw new IllegalArgumentException("instructions: path is null");
        return Instructions.splits(dirOrFile, 42);
    }

    private static Path findSplit(Path dir, String split) {
        List<String> names = new ArrayList<>(List.of("dialogsum." + split + ".jsonl", split + ".jsonl"));
        if (split.equals("dev")) { names.add("dialogsum.validation.jsonl"); names.add("validation.jsonl"); }
        for (String n : names) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        return null;
    }

    private static String splitOf(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        if (n.contains("test")) return "test";
        if (n.contains("dev") || n.contains("validation") || n.contains("valid")) return "dev";
        return "train";
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** One JSON object per line (blank lines skipped). */
    public static Dataset jsonl(Path file) {
        requireFile(file, "jsonl");
        String stem = stem(file);
        Cols cols = new Cols();
        int lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int row = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode node;
                try { node = JSON.readTree(line); }
                catch (IOException e) {
                    throw new IllegalArgumentException(file + ":" + lineNo + ": not valid JSON: " + e.getMessage(), e);
                }
                if (node == null || !node.isObject())
                    throw new IllegalArgumentException(file + ":" + lineNo + ": expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
                String where = file + ":" + lineNo;
                cols.add(where, stem + "_" + row,
                    text(node, "id", "fname"), text(node, "dialogue"), text(node, "summary"),
                    text(node, "topic", "topic1"), text(node, "summary1"), text(node, "summary2"), text(node, "summary3"));
                row++;
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ":" + (lineNo + 1) + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        return cols.toDataset(stem);
    }

    private static String text(JsonNode node, String... names) {
        for (String n : names) {
            JsonNode v = node.get(n);
            if (v != null && !v.isNull()) return v.isTextual() ? v.textValue() : v.toString();
        }
        return null;
    }

    /** Longest CSV cell accepted, in characters (the parser allocates a buffer of this size). */
    public static final int MAX_CSV_CELL = 1 << 20;

    /** A CSV file with a header row (RFC 4180 quoting; cells may span lines; at most {@link #MAX_CSV_CELL} characters a cell). */
    public static Dataset csv(Path file) {
        requireFile(file, "csv");
        requireUtf8(file);
        Table t;
        try {
            t = Table.read().csv(CsvReadOptions.builder(file.toFile())
                .header(true)
                .columnTypes(name -> ColumnType.STRING)
                .maxCharsPerColumn(MAX_CSV_CELL)
                .missingValueIndicator("\u0000")   // no text means 'missing' (Tablesaw's default turns "NA" into "")
                .build());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read CSV " + file + ": " + e.getMessage(), e);
        }
        String stem = stem(file);
        Cols cols = new Cols();
        for (int r = 0; r < t.rowCount(); r++) {
            final int row = r;
            java.util.function.Function<String[], String> get = names -> {
                for (String n : names) if (t.containsColumn(n)) return t.stringColumn(n).get(row);
                return null;
            };
            cols.add(file + ":row " + (r + 1), stem + "_" + r,
                get.apply(new String[]{"id", "fname"}), get.apply(new String[]{"dialogue"}), get.apply(new String[]{"summary"}),
                get.apply(new String[]{"topic", "topic1"}), get.apply(new String[]{"summary1"}),
                get.apply(new String[]{"summary2"}), get.apply(new String[]{"summary3"}));
        }
        return cols.toDataset(stem);
    }

    /** Streams {@code file} through a strict UTF-8 decoder (Tablesaw would silently replace bad bytes). */
    private static void requireUtf8(Path file) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        try (var in = new java.io.InputStreamReader(Files.newInputStream(file), decoder)) {
            char[] buf = new char[8192];
            while (in.read(buf) >= 0) { /* decode only */ }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("cannot read CSV " + file + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    private static void requireFile(Path file, String what) {
        if (file == null) throw new IllegalArgumentException(what + ": path is null");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(what + ": no such file " + file.toAbsolutePath());
    }

    /** Column builders shared by the loaders. */
    private static final class Cols {
        final StringColumn id = StringColumn.create("id"), dialogue = StringColumn.create("dialogue"),
            summary = StringColumn.create("summary"), topic = StringColumn.create("topic");
        final StringColumn[] refs = {StringColumn.create("summary1"), StringColumn.create("summary2"), StringColumn.create("summary3")};
        boolean anyRefs;

        void add(String where, String defaultId, String id, String dialogue, String summary, String topic, String... extra) {
            if (dialogue == null) throw new IllegalArgumentException(where + ": missing field 'dialogue'");
            if (summary == null) summary = extra[0];
            if (summary == null) throw new IllegalArgumentException(where + ": missing field 'summary' (or 'summary1')");
            this.id.append(id == null || id.isEmpty() ? defaultId : id);
            this.dialogue.append(dialogue);
            this.summary.append(summary);
            this.topic.append(topic == null ? "" : topic);
            for (int k = 0; k < 3; k++) {
                String v = extra[k] == null ? "" : extra[k];
                if (!v.isEmpty()) anyRefs = true;
                refs[k].append(v);
            }
        }

        Dataset toDataset(String name) {
            Table t = Table.create(name, id, dialogue, summary, topic);
            if (anyRefs) t.addColumns(refs);
            return new Dataset(t);
        }
    }
}
