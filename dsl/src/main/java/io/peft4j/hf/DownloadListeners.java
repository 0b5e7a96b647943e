package io.peft4j.hf;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The download listeners registered for the whole process ({@code Peft.onDownload}: the notebook
 * kernel registers its live display here). A resolver built without an explicit listener reports to
 * these, or draws a terminal {@link DownloadProgressBar} on standard error when none is registered
 * (unless {@code HF_HUB_DISABLE_PROGRESS_BARS} is set).
 */
public final class DownloadListeners {
    private static final List<DownloadListener> GLOBAL = new CopyOnWriteArrayList<>();

    private DownloadListeners() {}

    public static void add(DownloadListener l) { GLOBAL.add(Objects.requireNonNull(l, "listener")); }

    public static void remove(DownloadListener l) { GLOBAL.remove(l); }

    public static List<DownloadListener> registered() { return List.copyOf(GLOBAL); }

    /** The listener a resolver with these settings reports to when given none. */
    static DownloadListener defaultFor(HubEnvironment env) {
        List<DownloadListener> g = registered();
        if (!g.isEmpty()) return all(g);
        return env.progressBars() ? new DownloadProgressBar() : DownloadListener.NONE;
    }

    /** Reports to every listener of {@code ls}; one that throws does not stop the download or the others. */
    static DownloadListener all(List<DownloadListener> ls) {
        List<DownloadListener> copy = List.copyOf(ls);
        if (copy.size() == 1) return safe(copy.get(0));
        return new DownloadListener() {
            @Override public void onFileStart(Event e) { for (DownloadListener l : copy) safe(l).onFileStart(e); }
            @Override public void onFileProgress(Event e) { for (DownloadListener l : copy) safe(l).onFileProgress(e); }
            @Override public void onFileEnd(Event e, String o) { for (DownloadListener l : copy) safe(l).onFileEnd(e, o); }
            @Override public void onEnd(String repo, String o) { for (DownloadListener l : copy) safe(l).onEnd(repo, o); }
        };
    }

    /** Swallows what a listener throws (a broken display must not break a download). */
    static DownloadListener safe(DownloadListener l) {
        return new DownloadListener() {
            @Override public void onFileStart(Event e) { try { l.onFileStart(e); } catch (RuntimeException ignored) { } }
            @Override public void onFileProgress(Event e) { try { l.onFileProgress(e); } catch (RuntimeException ignored) { } }
            @Override public void onFileEnd(Event e, String o) { try { l.onFileEnd(e, o); } catch (RuntimeException ignored) { } }
            @Override public void onEnd(String repo, String o) { try { l.onEnd(repo, o); } catch (RuntimeException ignored) { } }
        };
    }
}
