package io.peft4j.hf;

/**
 * Receives the progress of hub downloads (nothing is reported for files found in the cache). The
 * downloading thread calls these; implementations must be quick and throttle their own output (the
 * terminal {@link DownloadProgressBar} and the notebook kernel's live display are listeners). Register
 * one for every download of the process with {@code Peft.onDownload(...)}.
 */
public interface DownloadListener {

    /**
     * One file's transfer.
     *
     * @param repo        repository id ({@code org/name}; datasets as {@code dataset org/name})
     * @param revision    the revision asked for
     * @param file        file name inside the repository
     * @param bytes       bytes of the file on disk so far (including a resumed part)
     * @param totalBytes  the file's size, or -1 when the hub did not say
     * @param resumedFrom bytes that were already on disk from an earlier, interrupted transfer
     * @param elapsedNanos time since this transfer started
     */
    record Event(String repo, String revision, String file, long bytes, long totalBytes, long resumedFrom, long elapsedNanos) {
        /** Fraction done in [0, 1], or NaN when the size is unknown. */
        public double fraction() { return totalBytes > 0 ? Math.min(1.0, (double) bytes / totalBytes) : totalBytes == 0 ? 1.0 : Double.NaN; }

        /** Transfer rate of this run (resumed bytes excluded). */
        public double bytesPerSecond() { return elapsedNanos > 0 ? (bytes - resumedFrom) * 1e9 / elapsedNanos : 0; }

        /** Seconds left at the current rate, or NaN. */
        public double etaSeconds() {
            double r = bytesPerSecond();
            return totalBytes >= 0 && r > 0 ? (totalBytes - bytes) / r : Double.NaN;
        }
    }

    /** A file starts downloading (or resuming). */
    default void onFileStart(Event e) {}

    /** More bytes arrived. */
    default void onFileProgress(Event e) {}

    /** A file ended: {@code outcome} is "done", or the error message. */
    default void onFileEnd(Event e, String outcome) {}

    /** The resolve that downloaded files ended ("done" or the error message); only after at least one file start. */
    default void onEnd(String repo, String outcome) {}

    DownloadListener NONE = new DownloadListener() {};
}
