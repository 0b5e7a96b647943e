package io.peft4j.train;

import java.nio.file.Path;
import java.util.List;

/**
 * Child process of {@link SigkillTest}: trains the tiny model with a checkpoint after every step,
 * resuming from the newest complete checkpoint when one exists, and prints "step N" lines so the
 * parent knows training is under way. Args: checkpoint folder.
 */
public final class KillChild {
    static final List<io.peft4j.model.Batch> TRAIN = TinyModel.copyTask(6, 3, 5, TrainerTest.V, 11);

    static TrainingConfig config(Path dir) {
        return TrainerTest.base().epochs(100_000).checkpointEvery(1).keepCheckpoints(2).checkpointDir(dir).evalEveryEpoch(false).build();
    }

    static TinyModel model() { return new TinyModel(TrainerTest.V, TrainerTest.D, TrainerTest.H, 0.1, 21); }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Trainer t = new Trainer(model(), config(dir));
        t.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { System.out.println("step " + e.step()); System.out.flush(); }
        });
        if (Checkpoints.latest(dir).isPresent()) t.resume(dir, TRAIN, null); else t.train(TRAIN, null);
    }
}
