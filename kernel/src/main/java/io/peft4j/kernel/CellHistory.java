package io.peft4j.kernel;

import io.github.spencerpark.jupyter.kernel.history.HistoryEntry;
import io.github.spencerpark.jupyter.kernel.history.HistoryManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The inputs executed in this kernel session, for history_request (tail, range, search). */
final class CellHistory implements HistoryManager {
    static final int SESSION = 1;
    private final List<String> inputs = new ArrayList<>();

    synchronized void add(String code) { inputs.add(code); }

    private synchronized List<HistoryEntry> slice(int from, int to) {
        List<HistoryEntry> out = new ArrayList<>();
        for (int i = Math.max(0, from); i < Math.min(to, inputs.size()); i++) {
            out.add(new HistoryEntry(SESSION, i + 1, inputs.get(i)));
        }
        return out;
    }

    @Override public List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
        int n;
        synchronized (this) { n = inputs.size(); }
        return slice(n - Math.max(0, length), n);
    }

    @Override public List<HistoryEntry> lookupRange(int session, int start, int stop, Set<ResultFlag> flags) {
        if (session != 0 && session != SESSION) return List.of();
        return slice(start - 1, stop - 1);
    }

    @Override public List<HistoryEntry> search(String glob, int length, Set<ResultFlag> flags) {
        Pattern p = Pattern.compile(Pattern.quote(glob).replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q"), Pattern.DOTALL);
        List<HistoryEntry> all = lookupTail(Integer.MAX_VALUE, flags);
        List<HistoryEntry> hits = all.stream().filter(e -> p.matcher(e.getInput()).matches()).toList();
        return length > 0 && hits.size() > length ? hits.subList(hits.size() - length, hits.size()) : hits;
    }
}
