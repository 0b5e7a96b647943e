package io.peft4j.peft;

/**
 * How a LoRA adapter's update is scaled: {@code y += scaling * dropout(x) A^T B^T}. Standard LoRA
 * uses {@code alpha / r}; rank-stabilised LoRA (rsLoRA, Kalajdzievski 2023) uses
 * {@code alpha / sqrt(r)} so that larger ranks keep learning.
 */
@FunctionalInterface
public interface LoraScaling {
    double scaling(double alpha, int r);

    LoraScaling STANDARD = (alpha, r) -> alpha / r;
    LoraScaling RSLORA = (alpha, r) -> alpha / Math.sqrt(r);
}
