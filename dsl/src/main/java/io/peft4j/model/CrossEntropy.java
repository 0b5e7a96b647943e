package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Mean cross-entropy over positions whose label is not -100, with its gradient w.r.t. the logits. */
public final class CrossEntropy {
    public static final int IGNORE = -100;
    private final Buf lsm = new Buf();
    private INDArray logProbs;        // [N, V] log-softmax of the last forward
    private int[] labels;
    private long count;

    /** @param logits [N, V] @param flatLabels [N] (-100 = ignored) @return the mean loss (0 when nothing counts) */
    public double forward(INDArray logits, int[] flatLabels) {
        logProbs = lsm.get(logits.dataType(), logits.shape());
        Nd4j.exec(new LogSoftMax(logits, logProbs));
        labels = flatLabels;
        count = 0;
        double sum = 0;
        for (int i = 0; i < flatLabels.length; i++) {
            if (flatLabels[i] == IGNORE) continue;
            sum -= logProbs.getDouble(i, flatLabels[i]);
            count++;
        }
        return count == 0 ? 0.0 : sum / count;
    }

    /** Number of positions counted by the last forward. */
    public long count() { return count; }

    /** @return dLoss/dLogits [N, V] (overwrites the stored log-probabilities) */
    public INDArray backward() {
        INDArray d = Transforms.exp(logProbs, false);
        double[] scale = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == IGNORE || count == 0) continue;
            d.putScalar(i, labels[i], d.getDouble(i, labels[i]) - 1.0);
            scale[i] = 1.0 / count;
        }
        return d.muliColumnVector(Nd4j.createFromArray(scale).reshape(labels.length, 1).castTo(d.dataType()));
    }
}
