/**
 * The array kernels every model family runs on, kept apart from the families so that one backend
 * change reaches all of them.
 *
 * <p>The op set (what a GPU backend would have to provide; everything above this package is written
 * against these entry points and ND4J arrays):
 * <ul>
 *   <li>{@link io.peft4j.ops.Gemm}: matrix products into preallocated outputs ({@code mm}: C = alpha op(A) op(B) + beta C;
 *       {@code raw}: the same on sub-blocks by offset and leading dimension, for per-head attention products),
 *       with recording and replay for profiling;</li>
 *   <li>{@link io.peft4j.ops.Fast}: fused element-wise loops (add, add-in-place, multiply-accumulate, copy) and the
 *       float32 storage access and chunked parallel loop the optimizer and the layers share;</li>
 *   <li>{@link io.peft4j.ops.Activations}: gelu_new and its derivative, float32 tanh;</li>
 *   <li>{@link io.peft4j.ops.CrossEntropy}: mean cross-entropy over rows with ignored labels, and its gradient;</li>
 *   <li>{@link io.peft4j.ops.Par}: the engine's thread pool for the Java loops (results independent of the thread count);</li>
 *   <li>{@link io.peft4j.ops.Buf}: grow-only reusable buffers; {@link io.peft4j.ops.NativeMemory}: bounds on ND4J's
 *       off-heap garbage.</li>
 * </ul>
 * Normalisation layers, dropout and embeddings are layers with parameters and live in
 * {@code io.peft4j.model}; their inner loops use these kernels.
 */
package io.peft4j.ops;
