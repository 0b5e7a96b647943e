package io.peft4j.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

import java.util.List;

/** jqwik generators of {@link Mutation} lists: mostly one or two edits, sometimes up to four. */
final class Mutations {
    private Mutations() {}

    /** Numbers that break readers: signs, int/long limits, overflow, non-integers, wrong JSON types. */
    static final List<String> NUMBERS = List.of("-1", "0", "1", "-100", "2147483647", "2147483648", "-2147483649",
        "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999999",
        "1e308", "1e309", "-1e309", "1.5", "0.0", "-0", "NaN", "Infinity", "1E2", "[]", "[1,2]", "{}", "null", "true",
        "\"7\"", "1" + "0".repeat(2000), "104857601", "536870912");

    /** Strings: empty, control characters, surrogates, unknown dtypes/types, very long, wrong types. */
    static final List<String> STRINGS = List.of("\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"BF16\"", "\"F64\"", "\"I8\"",
        "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"C64\"", "\"Unigram\"", "\"BPE\"", "\"LORA\"", "\"q\"", "\".*\"", "\"(\"",
        "\"[a-\"", "\"" + "x".repeat(70_000) + "\"", "1", "null", "[]", "{}", "\"__metadata__\"", "\"</s>\"",
        "\"<unk>\"", "\"../../etc/passwd\"", "\"\u00e9\u2581\"");

    static final List<byte[]> BYTES = List.of(new byte[]{(byte) 0xFF}, new byte[]{(byte) 0xC0, (byte) 0x80},
        new byte[]{(byte) 0x80}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[]{0},
        new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01},
        new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07}, new byte[]{'"'}, new byte[]{'{'},
        new byte[]{']'}, new byte[]{','}, new byte[]{'\n'}, new byte[]{'\r', '\n'}, new byte[]{0x0A, (byte) 0x80, (byte) 0x80, 0x04});

    static final List<Long> HEADER_LENGTHS = List.of(-1L, 0L, 1L, 2L, 7L, 8L, Long.MAX_VALUE, Long.MIN_VALUE,
        (long) Integer.MAX_VALUE, 1L << 31, 1L << 32, 100L * 1024 * 1024 + 1, 100L * 1024 * 1024);

    static Arbitrary<List<Mutation>> forFormat(Mutation.Format f) {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1).ofScale(4);
        Arbitrary<Mutation> bitFlip = net.jqwik.api.Combinators.combine(at, Arbitraries.integers().between(0, 7)).as(Mutation.BitFlip::new);
        Arbitrary<Mutation> truncate = Arbitraries.doubles().between(0, 1).ofScale(4).map(Mutation.Truncate::new);
        Arbitrary<Mutation> delete = net.jqwik.api.Combinators.combine(at, Arbitraries.integers().between(1, 64)).as(Mutation.DeleteRange::new);
        Arbitrary<Mutation> insert = net.jqwik.api.Combinators.combine(at, Arbitraries.of(BYTES)).as(Mutation.Insert::new);
        Arbitrary<Mutation> overwrite = net.jqwik.api.Combinators.combine(at, Arbitraries.of(BYTES)).as(Mutation.Overwrite::new);
        Arbitrary<Mutation> duplicate = net.jqwik.api.Combinators.combine(at, Arbitraries.integers().between(1, 200),
            Arbitraries.integers().between(1, 50)).as(Mutation.Duplicate::new);
        Arbitrary<Integer> k = Arbitraries.integers().between(0, 400);
        Arbitrary<Mutation> number = net.jqwik.api.Combinators.combine(k, Arbitraries.of(NUMBERS)).as(Mutation.ReplaceNumber::new);
        Arbitrary<Mutation> string = net.jqwik.api.Combinators.combine(k, Arbitraries.of(STRINGS)).as(Mutation.ReplaceString::new);
        Arbitrary<Mutation> nest = net.jqwik.api.Combinators.combine(k, Arbitraries.of(5, 63, 64, 65, 1000, 1001, 5000),
            Arbitraries.of(true, false)).as(Mutation.DeepNest::new);
        Arbitrary<Mutation> headerLen = Arbitraries.oneOf(Arbitraries.of(HEADER_LENGTHS),
            Arbitraries.longs().between(-5, 5000)).map(Mutation.HeaderLength::new);
        Arbitrary<Mutation> one = switch (f) {
            case TEXT -> Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, bitFlip), net.jqwik.api.Tuple.of(1, truncate), net.jqwik.api.Tuple.of(1, delete),
                net.jqwik.api.Tuple.of(2, insert), net.jqwik.api.Tuple.of(1, duplicate), net.jqwik.api.Tuple.of(5, number),
                net.jqwik.api.Tuple.of(4, string), net.jqwik.api.Tuple.of(1, nest));
            case SAFETENSORS -> Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, bitFlip), net.jqwik.api.Tuple.of(1, truncate), net.jqwik.api.Tuple.of(1, delete),
                net.jqwik.api.Tuple.of(1, insert), net.jqwik.api.Tuple.of(1, duplicate), net.jqwik.api.Tuple.of(6, number),
                net.jqwik.api.Tuple.of(3, string), net.jqwik.api.Tuple.of(1, nest), net.jqwik.api.Tuple.of(2, headerLen));
            case BINARY -> Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, bitFlip), net.jqwik.api.Tuple.of(1, truncate), net.jqwik.api.Tuple.of(2, delete),
                net.jqwik.api.Tuple.of(3, insert), net.jqwik.api.Tuple.of(3, overwrite), net.jqwik.api.Tuple.of(1, duplicate));
        };
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, one.list().ofSize(1)),
            net.jqwik.api.Tuple.of(3, one.list().ofSize(2)),
            net.jqwik.api.Tuple.of(1, one.list().ofMinSize(3).ofMaxSize(4)));
    }

    static byte[] apply(byte[] seed, List<Mutation> ms, Mutation.Format f) {
        byte[] b = seed;
        for (Mutation m : ms) b = m.apply(b, f);
        return b;
    }
}
