package io.peft4j.hf;

import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {

    @Test
    void halfConversionRoundTripsEveryBitPattern() {
        for (int b = 0; b < 0x10000; b++) {
            short h = (short) b;
            float f = Half.toFloat(h);
            if (Float.isNaN(f)) { assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f)))); continue; }
            assertEquals(h, Half.fromFloat(f), "pattern 0x" + Integer.toHexString(b));
        }
        assertEquals(1.0f, Half.toFloat(Half.fromFloat(1.0f)));
        assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(Half.fromFloat(70000f)));
        // 1 + 2^-11 is a tie between 1 and 1+2^-10: rounds to even (1.0)
        assertEquals(1.0f, Half.toFloat(Half.fromFloat(1.0f + 0x1p-11f)));
        assertEquals(1.0f + 0x1p-9f, Half.toFloat(Half.fromFloat(1.0f + 0x1p-10f + 0x1p-11f)));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, SafeTensors.toBf16(1.0f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even -> 1.0
        assertEquals((short) 0x3F80, SafeTensors.toBf16(1.0f + 0x1p-8f));
        assertEquals((short) 0x3F81, SafeTensors.toBf16(1.0f + 0x1p-8f + 0x1p-20f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void writeThenReadRoundTrips(String storage, @TempDir Path dir) throws Exception {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("a.weight", Nd4j.rand(DataType.FLOAT, 3, 5).subi(0.5));
        t.put("b", Nd4j.createFromArray(new float[]{0.5f, -2f, 1024f}));
        t.put("ids", Nd4j.createFromArray(new long[]{1, 2, 3}));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.Dtype d = SafeTensors.Dtype.valueOf(storage);
        SafeTensors.write(f, t, Map.of("format", "pt"), d);
        var h = SafeTensors.header(f);
        assertEquals("pt", h.metadata().get("format"));
        assertEquals(d, h.entries().get("a.weight").dtype());
        assertEquals(SafeTensors.Dtype.I64, h.entries().get("ids").dtype());
        assertEquals(0, h.dataStart() % 8, "data section is 8-byte aligned");
        Map<String, INDArray> back = SafeTensors.read(f);
        double tol = d == SafeTensors.Dtype.F32 ? 0 : d == SafeTensors.Dtype.F16 ? 1e-3 : 1e-2;
        INDArray a = t.get("a.weight"), b = back.get("a.weight");
        assertArrayEquals(a.shape(), b.shape());
        assertTrue(a.sub(b).amaxNumber().doubleValue() <= tol, storage + " error " + a.sub(b).amaxNumber());
        assertEquals(t.get("b"), back.get("b"), "exactly representable values survive every storage type");
        assertArrayEquals(new long[]{1, 2, 3}, back.get("ids").toLongVector());
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "no temp file left behind"); }
    }

    @Test
    void readsFixtureCheckpoint() {
        Path f = Shared.require("fixtures/t5/tiny_flan/model.safetensors");
        Map<String, INDArray> t = SafeTensors.read(f);
        assertTrue(t.containsKey("shared.weight"), t.keySet().toString());
        assertEquals(DataType.FLOAT, t.get("shared.weight").dataType());
    }

    private static Path file(Path dir, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}",          // past the data
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",           // shape vs bytes
        "{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}",            // unknown dtype
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",          // negative dim
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", // overflow
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", // overlap
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",           // reversed
        "[1,2,3]", "{not json", "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"
    })
    void malformedHeadersAreTypedErrorsNamingTheFile(String header, @TempDir Path dir) throws Exception {
        Path f = file(dir, header, 8);
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void headerLengthPastTheFileIsRejected(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("h.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
        Files.write(f, b.array());
        var e = assertThrows(FileFormatException.class, () -> SafeTensors.header(f));
        assertTrue(e.getMessage().contains("header length"), e.getMessage());
        Files.write(f, new byte[]{1, 2, 3});
        assertThrows(FileFormatException.class, () -> SafeTensors.header(f));
        Files.write(f, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(new byte[]{(byte) 0xff, (byte) 0xfe, 0x7b, 0x7d}).array());
        assertTrue(assertThrows(FileFormatException.class, () -> SafeTensors.header(f)).getMessage().contains("UTF-8"));
    }
}
