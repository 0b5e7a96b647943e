package io.peft4j.cli;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Prints the backend, thread settings and a measured float32 GEMM rate. */
@Command(name = "env", description = "Show the ND4J backend, OpenBLAS core type, threads and measured GEMM GFLOP/s.")
final class EnvCommand implements Callable<Integer> {
    @Option(names = "--size", description = "GEMM size n for the n^3 benchmark (default ${DEFAULT-VALUE})")
    int n = 1024;

    @Override public Integer call() {
        System.out.println("backend            " + Nd4j.getBackend().getClass().getSimpleName());
        System.out.println("OPENBLAS_CORETYPE  " + System.getenv("OPENBLAS_CORETYPE"));
        System.out.println("OMP_NUM_THREADS    " + System.getenv("OMP_NUM_THREADS"));
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n), b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        for (int i = 0; i < 3; i++) Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        int reps = 10;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        double s = (System.nanoTime() - t0) / 1e9 / reps;
        System.out.printf("gemm %dx%dx%d       %.1f GFLOP/s (%.2f ms)%n", n, n, n, 2.0 * n * n * n / s / 1e9, s * 1e3);
        return 0;
    }
}
