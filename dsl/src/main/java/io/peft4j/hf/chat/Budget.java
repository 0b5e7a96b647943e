package io.peft4j.hf.chat;

/**
 * The limits of the render running on the current thread: a deadline and output/string/collection
 * sizes. Checked by the sandbox's resolver, filters, functions and output strategy; exceeding one
 * throws {@link Abort}, an {@link Error} so that the template engine cannot swallow it as a
 * template error and keep going.
 */
final class Budget {
    private static final ThreadLocal<Budget> CURRENT = new ThreadLocal<>();

    final long deadlineNanos;
    final ChatTemplate.Limits limits;
    long outputChars;
    long steps;
    /** An abort thrown where the engine may have wrapped and swallowed it (inside an EL function call). */
    Abort pending;

    private Budget(ChatTemplate.Limits limits) {
        this.limits = limits;
        this.deadlineNanos = System.nanoTime() + limits.timeout().toNanos();
    }

    static Budget start(ChatTemplate.Limits limits) {
        Budget b = new Budget(limits);
        CURRENT.set(b);
        return b;
    }

    static void end() { CURRENT.remove(); }

    /** The budget of this thread's render, or null outside a render. */
    static Budget current() { return CURRENT.get(); }

    /** Records an abort so that it ends the render even where the engine catches it, and throws it. */
    static Abort fail(Abort a) {
        Budget b = CURRENT.get();
        if (b != null && b.pending == null) b.pending = a;
        throw a;
    }

    /** Throws {@link Abort} when the render is past its deadline or was cancelled. */
    static void tick() {
        Budget b = CURRENT.get();
        if (b == null) return;
        if (b.pending != null) throw b.pending;
        b.steps++;
        if ((b.steps & 63) == 0 || b.steps < 64) {
            if (System.nanoTime() > b.deadlineNanos)
                throw fail(new Abort(ChatTemplateException.Kind.TIMEOUT, "rendering took longer than " + b.limits.timeout().toMillis() + " ms"));
            if (Thread.currentThread().isInterrupted())
                throw fail(new Abort(ChatTemplateException.Kind.TIMEOUT, "rendering was cancelled"));
        }
    }

    /** Counts {@code n} more output characters against the limit. */
    static void output(long n) {
        tick();
        Budget b = CURRENT.get();
        if (b == null) return;
        b.outputChars += n;
        if (b.outputChars > b.limits.maxOutputChars())
            throw fail(new Abort(ChatTemplateException.Kind.TOO_BIG, "the output is longer than " + b.limits.maxOutputChars() + " characters"));
    }

    /** Checks a string about to be made. */
    static void string(long length) {
        tick();
        Budget b = CURRENT.get();
        long max = b == null ? ChatTemplate.Limits.DEFAULT.maxStringChars() : b.limits.maxStringChars();
        if (length > max) throw fail(new Abort(ChatTemplateException.Kind.TOO_BIG, "a string of " + length + " characters is longer than the limit " + max));
    }

    /** Checks a collection about to be made. */
    static void collection(long size) {
        tick();
        Budget b = CURRENT.get();
        long max = b == null ? ChatTemplate.Limits.DEFAULT.maxCollection() : b.limits.maxCollection();
        if (size > max) throw fail(new Abort(ChatTemplateException.Kind.TOO_BIG, "a list of " + size + " items is longer than the limit " + max));
    }

    /** Ends a render from inside the engine. */
    static final class Abort extends Error {
        final ChatTemplateException.Kind kind;

        Abort(ChatTemplateException.Kind kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }
    }
}
