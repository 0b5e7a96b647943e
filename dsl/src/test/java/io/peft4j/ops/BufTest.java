package io.peft4j.ops;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Buf}'s grow-only storage: smaller requests reuse the largest array's memory, as dense plain arrays. */
class BufTest {

    private static long address(INDArray a) { return a.data().addressPointer().address(); }

    @Test
    void sameShapeReturnsTheSameArray() {
        Buf b = new Buf();
        INDArray x = b.get(DataType.FLOAT, 4, 5);
        assertSame(x, b.get(DataType.FLOAT, 4, 5));
    }

    @Test
    void smallerShapesReuseTheStorageAndStayPlain() {
        Buf b = new Buf();
        INDArray big = b.get(DataType.FLOAT, 8, 6);
        long at = address(big);
        INDArray small = b.get(DataType.FLOAT, 3, 5);
        assertArrayEquals(new long[]{3, 5}, small.shape());
        assertEquals(15, small.length());
        assertEquals(at, address(small), "a smaller request must view the same memory");
        assertTrue(Fast.plain(small), "a smaller request must stay a plain c-ordered float32 array");
        // writes through the small array land at the start of the storage, in c order
        for (int i = 0; i < 15; i++) Fast.fb(small).put(i, i + 0.5f);
        assertEquals(4.5f, small.getFloat(0, 4), 0f);
        assertEquals(7.5f, small.getFloat(1, 2), 0f);
        assertEquals(7.5f, big.data().getFloat(7), 0f);
        // ND4J ops on the smaller array see exactly its 15 elements
        assertEquals(15 * 7.5, small.sumNumber().doubleValue(), 1e-4);
        INDArray copy = small.dup();
        assertEquals(small, copy);
        // the full shape again: the same storage
        assertEquals(at, address(b.get(DataType.FLOAT, 8, 6)));
    }

    @Test
    void largerShapesOrOtherTypesAllocateAfresh() {
        Buf b = new Buf();
        INDArray small = b.get(DataType.FLOAT, 2, 3);
        INDArray big = b.get(DataType.FLOAT, 10, 10);
        assertNotEquals(address(small), address(big));
        assertEquals(100, big.data().length());
        INDArray d = b.get(DataType.DOUBLE, 2, 3);
        assertEquals(DataType.DOUBLE, d.dataType());
        assertEquals(6, d.length());
        INDArray f = b.get(DataType.FLOAT, 5, 5);
        assertEquals(DataType.FLOAT, f.dataType());
        assertTrue(Fast.plain(f));
    }

    @Test
    void zerosClearsOnlyTheRequestedElements() {
        Buf b = new Buf();
        INDArray big = b.get(DataType.FLOAT, 4, 4).assign(3f);
        INDArray z = b.zeros(DataType.FLOAT, 2, 4);
        assertEquals(0.0, z.sumNumber().doubleValue(), 0.0);
        assertEquals(3f, big.data().getFloat(8), 0f);               // beyond the request: untouched
    }

    @Test
    void sharedHandlesUseTheOwnersGrowOnlyStorage() {
        Buf owner = new Buf(), user = new Buf();
        user.get(DataType.FLOAT, 2, 2);
        user.shareStorageOf(owner);
        INDArray o = owner.get(DataType.FLOAT, 6, 6);
        INDArray u = user.get(DataType.FLOAT, 3, 3);
        assertEquals(address(o), address(u));
        assertTrue(Fast.plain(u));
    }

    @Test
    void gemmIntoASmallerViewWritesOnlyItsElements() {
        Buf b = new Buf();
        INDArray big = b.get(DataType.FLOAT, 6, 6).assign(-1f);
        INDArray c = b.get(DataType.FLOAT, 2, 3);
        INDArray a = Nd4j.create(new float[]{1, 2, 3, 4}, 2, 2), w = Nd4j.create(new float[]{1, 0, 2, 0, 1, 3}, 2, 3);
        Gemm.mm(a, w, c, false, false, 1.0, 0.0);
        assertEquals(Nd4j.create(new float[]{1, 2, 8, 3, 4, 18}, 2, 3), c);
        assertEquals(-1f, big.data().getFloat(6), 0f);
    }
}
