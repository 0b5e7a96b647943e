package io.peft4j.hf;

/** SentencePiece piece types (the numbers are sentencepiece_model.proto's enum values). */
public enum PieceType {
    NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    final int protoValue;

    PieceType(int protoValue) { this.protoValue = protoValue; }

    static PieceType fromProto(int v) {
        for (PieceType t : values()) if (t.protoValue == v) return t;
        throw new IllegalArgumentException("unknown piece type " + v + " (valid: 1..6)");
    }
}
