package io.peft4j.hf;

/** IEEE 754 binary16 conversions (Java 17 has no Float.float16ToFloat). */
public final class Half {
    private Half() {}

    /** Exact widening of a binary16 bit pattern to float. */
    public static float toFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));   // inf / NaN
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);                             // +-0
            float v = mant * 0x1p-24f;                                                    // subnormal
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Rounds a float to the nearest binary16 (ties to even), overflow to infinity. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        int e = exp - 127 + 15;
        if (e >= 0x1F) return (short) (sign | 0x7C00);
        if (e <= 0) {
            if (e < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - e;
            int half = 1 << (shift - 1);
            int rounded = (mant + half - 1 + ((mant >>> shift) & 1)) >>> shift;
            return (short) (sign | rounded);
        }
        int rounded = mant + 0xFFF + ((mant >>> 13) & 1);
        if ((rounded & 0x800000) != 0) { rounded = 0; e++; if (e >= 0x1F) return (short) (sign | 0x7C00); }
        return (short) (sign | (e << 10) | (rounded >>> 13));
    }
}
