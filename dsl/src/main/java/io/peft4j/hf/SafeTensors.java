package io.peft4j.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON
 * header mapping tensor names to {@code {dtype, shape, data_offsets}} (plus optional
 * {@code __metadata__} of string values), then the raw little-endian data.
 *
 * <p>Reading validates everything before touching data: header length within the file and at most
 * {@link #MAX_HEADER_BYTES}, UTF-8 JSON of bounded nesting, known dtypes, non-negative shapes whose
 * element count times the dtype size neither overflows nor disagrees with the byte range, offsets
 * inside the data section and not overlapping. Floating tensors are returned as float32 arrays
 * (F16 and BF16 widened exactly); integer tensors as INT32/INT64. Data is read through a memory
 * mapping of each tensor's byte range, so large files are not read whole.
 *
 * <p>Writing goes to a temporary file in the target folder which is then renamed, so a crash never
 * leaves a half-written file under the final name.
 */
public final class SafeTensors {
    /** Largest header accepted (the format's own reference implementation uses 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON;
    static {
        JsonFactory f = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build();
        JSON = new ObjectMapper(f);
    }

    private SafeTensors() {}

    /** Storage types of the format that this reader knows. */
    public enum Dtype {
        F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);
        public final int bytes;
        Dtype(int bytes) { this.bytes = bytes; }

        static Dtype parse(Path file, String name, String s) {
            for (Dtype d : values()) if (d.name().equals(s)) return d;
            throw new FileFormatException(file, "tensor '" + name + "' has unknown dtype '" + s
                + "' (known: " + Arrays.toString(values()) + ")");
        }
    }

    /** One tensor's entry in the header; offsets are relative to the start of the data section. */
    public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** The parsed header: entries in file order and the string metadata. */
    public record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {}

    /** Parses and validates the header of {@code file} without reading tensor data. */
    public static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, ch);
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new FileFormatException(file, "too short for a safetensors file (" + size + " bytes; the header length alone takes 8)");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
            throw new FileFormatException(file, "header length " + headerLen + " is invalid (file has "
                + size + " bytes; must be between 2 and min(" + MAX_HEADER_BYTES + ", file size - 8))");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(hb.flip()).toString();
        } catch (CharacterCodingException e) {
            throw new FileFormatException(file, "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new FileFormatException(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new FileFormatException(file, "header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new FileFormatException(file, "__metadata__ must be an object of strings");
                v.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) throw new FileFormatException(file, "__metadata__ value for '" + m.getKey() + "' is not a string");
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            entries.put(name, parseEntry(file, name, v, dataLen));
        }
        // offsets must not overlap
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) throw new FileFormatException(file, "tensors '" + a.name() + "' ["
                + a.begin() + ", " + a.end() + ") and '" + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap");
        }
        return new Header(entries, metadata, dataStart);
    }

    private static Entry parseEntry(Path file, String name, JsonNode v, long dataLen) {
        if (!v.isObject()) throw new FileFormatException(file, "entry '" + name + "' is not an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new FileFormatException(file, "tensor '" + name + "' has no dtype string");
        if (sh == null || !sh.isArray()) throw new FileFormatException(file, "tensor '" + name + "' has no shape array");
        if (off == null || !off.isArray() || off.size() != 2) throw new FileFormatException(file, "tensor '" + name + "' needs data_offsets [begin, end]");
        Dtype dtype = Dtype.parse(file, name, dt.asText());
        if (sh.size() > 8) throw new FileFormatException(file, "tensor '" + name + "' has rank " + sh.size() + " (at most 8 supported)");
        long[] shape = new long[sh.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0)
                throw new FileFormatException(file, "tensor '" + name + "' has invalid dimension " + d + " in shape " + sh);
            shape[i] = d.asLong();
            try { elements = Math.multiplyExact(elements, shape[i]); }
            catch (ArithmeticException e) { throw new FileFormatException(file, "tensor '" + name + "' shape " + sh + " overflows"); }
        }
        for (int i = 0; i < 2; i++) if (!off.get(i).isIntegralNumber() || !off.get(i).canConvertToLong() || off.get(i).asLong() < 0)
            throw new FileFormatException(file, "tensor '" + name + "' has invalid data_offsets " + off);
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (end < begin || end > dataLen) throw new FileFormatException(file, "tensor '" + name + "' data_offsets ["
            + begin + ", " + end + ") lie outside the data section of " + dataLen + " bytes");
        long bytes;
        try { bytes = Math.multiplyExact(elements, (long) dtype.bytes); }
        catch (ArithmeticException e) { throw new FileFormatException(file, "tensor '" + name + "' byte size overflows"); }
        if (bytes != end - begin) throw new FileFormatException(file, "tensor '" + name + "' is " + dtype + " " + sh
            + " = " + bytes + " bytes but data_offsets span " + (end - begin));
        if (elements > Integer.MAX_VALUE) throw new FileFormatException(file, "tensor '" + name + "' has " + elements + " elements (more than 2^31-1 unsupported)");
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Reads every tensor of {@code file}: floating types as FLOAT, integers as INT32/INT64, BOOL/U8/I8 as INT32. */
    public static Map<String, INDArray> read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(file, ch);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (Entry e : h.entries().values()) out.put(e.name(), readTensor(file, ch, h, e));
            return out;
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads the tensors whose names {@code wanted} accepts (header order); the others are not touched. */
    public static Map<String, INDArray> read(Path file, java.util.function.Predicate<String> wanted) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(file, ch);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (Entry e : h.entries().values()) if (wanted.test(e.name())) out.put(e.name(), readTensor(file, ch, h, e));
            return out;
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads one tensor by name. */
    public static INDArray read(Path file, String name) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(file, ch);
            Entry e = h.entries().get(name);
            if (e == null) throw new FileFormatException(file, "no tensor named '" + name + "'");
            return readTensor(file, ch, h, e);
        } catch (IOException e) {
            throw new FileFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static INDArray readTensor(Path file, FileChannel ch, Header h, Entry e) throws IOException {
        int n = (int) e.elements();
        long bytes = e.end() - e.begin();
        ByteBuffer buf = bytes == 0 ? ByteBuffer.allocate(0)
            : ch.map(FileChannel.MapMode.READ_ONLY, h.dataStart() + e.begin(), bytes);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        long[] shape = e.shape();
        switch (e.dtype()) {
            case F32 -> { float[] a = new float[n]; buf.asFloatBuffer().get(a); return Nd4j.create(a, shape, 'c'); }
            case F64 -> { double[] a = new double[n]; buf.asDoubleBuffer().get(a);
                float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = (float) a[i]; return Nd4j.create(f, shape, 'c'); }
            case F16 -> { float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = Half.toFloat(buf.getShort()); return Nd4j.create(f, shape, 'c'); }
            case BF16 -> { float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16); return Nd4j.create(f, shape, 'c'); }
            case I64 -> { long[] a = new long[n]; buf.asLongBuffer().get(a); return Nd4j.createFromArray(a).reshape(shape); }
            case I32 -> { int[] a = new int[n]; buf.asIntBuffer().get(a); return Nd4j.createFromArray(a).reshape(shape); }
            case I16 -> { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = buf.getShort(); return Nd4j.createFromArray(a).reshape(shape); }
            case I8 -> { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = buf.get(); return Nd4j.createFromArray(a).reshape(shape); }
            case U8, BOOL -> { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = buf.get() & 0xFF; return Nd4j.createFromArray(a).reshape(shape); }
            default -> throw new FileFormatException(file, "unsupported dtype " + e.dtype());
        }
    }

    /**
     * Writes {@code tensors} (any ND4J floating or integer arrays) to {@code file}, storing floating
     * arrays as {@code storage} (F32, F16 or BF16; BF16 rounds to nearest even) and integer arrays
     * as I64/I32. The file appears atomically: a temporary file in the same folder is renamed.
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata, Dtype storage) {
        if (storage != Dtype.F32 && storage != Dtype.F16 && storage != Dtype.BF16)
            throw new IllegalArgumentException("storage dtype " + storage + " is not a floating storage type (use F32, F16 or BF16)");
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        List<Map.Entry<String, INDArray>> items = new ArrayList<>(tensors.entrySet());
        long offset = 0;
        Dtype[] types = new Dtype[items.size()];
        for (int i = 0; i < items.size(); i++) {
            INDArray a = items.get(i).getValue();
            Dtype d = a.dataType().isFPType() ? storage : (a.dataType() == DataType.LONG ? Dtype.I64 : Dtype.I32);
            types[i] = d;
            long bytes = a.length() * d.bytes;
            ObjectNode e = header.putObject(items.get(i).getKey());
            e.put("dtype", d.name());
            var sh = e.putArray("shape");
            for (long s : a.shape()) sh.add(s);
            var off = e.putArray("data_offsets");
            off.add(offset); off.add(offset + bytes);
            offset += bytes;
        }
        byte[] hjson;
        try { hjson = JSON.writeValueAsBytes(header); } catch (JsonProcessingException ex) { throw new IllegalStateException(ex); }
        int pad = (8 - hjson.length % 8) % 8;
        byte[] hpadded = Arrays.copyOf(hjson, hjson.length + pad);
        Arrays.fill(hpadded, hjson.length, hpadded.length, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hpadded.length);
            out.write(len.array());
            out.write(hpadded);
            for (int i = 0; i < items.size(); i++) writeData(out, items.get(i).getValue(), types[i]);
        });
    }

    private static void writeData(OutputStream out, INDArray a, Dtype d) throws IOException {
        INDArray c = a.isView() || a.ordering() != 'c' ? a.dup('c') : a;
        int n = (int) c.length();
        ByteBuffer buf = ByteBuffer.allocate(n * d.bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (d) {
            case F32 -> { float[] f = c.castTo(DataType.FLOAT).data().asFloat(); buf.asFloatBuffer().put(f); }
            case F16 -> { float[] f = c.castTo(DataType.FLOAT).data().asFloat(); for (float v : f) buf.putShort(Half.fromFloat(v)); }
            case BF16 -> { float[] f = c.castTo(DataType.FLOAT).data().asFloat(); for (float v : f) buf.putShort(toBf16(v)); }
            case I64 -> { long[] l = c.castTo(DataType.LONG).data().asLong(); buf.asLongBuffer().put(l); }
            case I32 -> { int[] l = c.castTo(DataType.INT).data().asInt(); buf.asIntBuffer().put(l); }
            default -> throw new IllegalStateException("unexpected " + d);
        }
        out.write(buf.array());
    }

    /** float32 to bfloat16 bits, rounding to nearest even (NaN stays NaN). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }
}
