// LoRA's six rank-r products at notebook 06's sizes (N = 3,000 tokens, r = 8, the causal demo's
// projections), each as one OpenBLAS call and as Gemm's cut into calls OpenBLAS runs on the calling
// thread (Gemm.skinnyProduct), with the BLAS thread count of the engine (OMP_NUM_THREADS). Microseconds
// per product, the faster of 3 runs of 100. Next to them, the frozen projection's own product and
// the weight gradient that full fine-tuning adds.
//   bin/peft4j run bench/gemm-skinny.jsh
import io.peft4j.ops.Gemm;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.bytedeco.javacpp.FloatPointer;
double time(Runnable op) {
    for (int w = 0; w < 20; w++) op.run();
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 3; rep++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) op.run();
        best = Math.min(best, (System.nanoTime() - t0) / 1e3 / 100);
    }
    return best;
}
// one call, straight to OpenBLAS (the product before the cut); row-major contiguous arrays
void one(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c, double alpha, double beta) {
    int m = (int) c.size(0), n = (int) c.size(1), k = (int) (ta ? a.size(0) : a.size(1));
    Gemm.sgemm(Gemm.ptr(a), 0, ta, (int) a.size(1), Gemm.ptr(b), 0, tb, (int) b.size(1), Gemm.ptr(c), 0, n, m, n, k, (float) alpha, (float) beta);
}
Nd4j.create(DataType.FLOAT, 1, 1);   // loads the native libraries before asking OpenBLAS its thread count
System.out.printf("OPENBLAS_CORETYPE=%s, BLAS threads %d%n", System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)"), Gemm.blasThreads());
int N = 3000, r = 8;
String[] names = {"u = x A^T", "y += u B^T", "dB += dy^T u", "du = dy B", "dA += du^T x", "dx += du A"};
for (int[] s : new int[][]{{192, 192}, {192, 64}, {192, 512}, {512, 192}}) {
    int in = s[0], out = s[1];
    var x = Nd4j.rand(DataType.FLOAT, N, in); var A = Nd4j.rand(DataType.FLOAT, r, in); var B = Nd4j.rand(DataType.FLOAT, out, r);
    var y = Nd4j.rand(DataType.FLOAT, N, out); var dy = Nd4j.rand(DataType.FLOAT, N, out);
    var u = Nd4j.rand(DataType.FLOAT, N, r); var du = Nd4j.rand(DataType.FLOAT, N, r);
    var dA = Nd4j.zeros(DataType.FLOAT, r, in); var dB = Nd4j.zeros(DataType.FLOAT, out, r); var dx = Nd4j.zeros(DataType.FLOAT, N, in);
    var W = Nd4j.rand(DataType.FLOAT, out, in); var dW = Nd4j.zeros(DataType.FLOAT, out, in);
    INDArray[][] abc = {{x, A, u}, {u, B, y}, {dy, u, dB}, {dy, B, du}, {du, x, dA}, {du, A, dx}};
    boolean[][] t = {{false, true}, {false, true}, {true, false}, {false, false}, {true, false}, {false, false}};
    double[] beta = {0, 1, 1, 0, 1, 1};
    double sumOne = 0, sumCut = 0;
    System.out.printf("%nprojection in %d, out %d (N = %d, r = %d):%n", in, out, N, r);
    for (int i = 0; i < 6; i++) {
        final int q = i;
        double o = time(() -> one(abc[q][0], t[q][0], abc[q][1], t[q][1], abc[q][2], 1.0, beta[q]));
        double c = time(() -> Gemm.mm(abc[q][0], abc[q][1], abc[q][2], t[q][0], t[q][1], 1.0, beta[q]));
        sumOne += o; sumCut += c;
        System.out.printf("  %-14s one call %6.0f us   cut %6.0f us   %.2fx%n", names[i], o, c, o / c);
    }
    System.out.printf("  %-14s one call %6.0f us   cut %6.0f us   %.2fx%n", "LoRA, all six", sumOne, sumCut, sumOne / sumCut);
    System.out.printf("  frozen y = x W^T %6.0f us; full fine-tuning's dW += dy^T x %6.0f us%n",
        time(() -> Gemm.mm(x, W, y, false, true, 1.0, 0.0)), time(() -> Gemm.mm(dy, x, dW, true, false, 1.0, 1.0)));
}
