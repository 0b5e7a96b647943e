// What fresh native memory costs on this machine (docs/BENCHMARKS.md, "grow-only activation buffers"):
// ND4J's allocation, a plain JavaCPP allocation before and after its first write, and rewriting memory
// that was written before.   bin/peft4j run bench/alloc.jsh
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;
float[] chunk = new float[1 << 16];
void touch(org.nd4j.linalg.api.ndarray.INDArray a) {
    var fb = a.data().asNioFloat(); int L = (int) a.length();
    for (int i = 0; i < L; i += chunk.length) fb.put(i, chunk, 0, Math.min(chunk.length, L - i));
}
for (int rep = 0; rep < 2; rep++) {
    for (long[] sh : new long[][]{{2800, 192}, {2800, 512}, {16, 6, 175, 175}}) {
        long len = 1; for (long s : sh) len *= s;
        int n = 30;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) Nd4j.createUninitialized(DataType.FLOAT, sh);
        double nd4j = (System.nanoTime() - t0) / 1e3 / n;
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) { var p = new org.bytedeco.javacpp.FloatPointer(len); Nd4j.create(Nd4j.createBuffer(p, DataType.FLOAT, len, org.bytedeco.javacpp.indexer.FloatIndexer.create(p)), sh); }
        double untouched = (System.nanoTime() - t0) / 1e3 / n;
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) { var p = new org.bytedeco.javacpp.FloatPointer(len); touch(Nd4j.create(Nd4j.createBuffer(p, DataType.FLOAT, len, org.bytedeco.javacpp.indexer.FloatIndexer.create(p)), sh)); }
        double touched = (System.nanoTime() - t0) / 1e3 / n;
        var reused = Nd4j.createUninitialized(DataType.FLOAT, sh);
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) touch(reused);
        double rewrite = (System.nanoTime() - t0) / 1e3 / n;
        System.out.printf("%-18s %6.1f MB: createUninitialized %8.0f us | FloatPointer untouched %6.0f us, written once %8.0f us | rewrite %6.0f us%n",
            java.util.Arrays.toString(sh), len * 4 / 1e6, nd4j, untouched, touched, rewrite);
    }
}
