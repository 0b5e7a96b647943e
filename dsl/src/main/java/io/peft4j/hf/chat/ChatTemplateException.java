package io.peft4j.hf.chat;

/**
 * A chat template could not be rendered. {@link #kind()} says why; the message says what, with
 * the template's line where known ({@code raise_exception} messages come through verbatim after
 * the prefix {@code "template raised: "}).
 */
public final class ChatTemplateException extends RuntimeException {
    /** Why rendering failed. */
    public enum Kind {
        /** The template called {@code raise_exception(message)}. */
        RAISED,
        /** The template does not parse, or uses an unknown filter, test, function or tag. */
        SYNTAX,
        /** Evaluating the template failed (bad types, missing methods, sandbox refusals). */
        ERROR,
        /** Rendering took longer than the time limit. */
        TIMEOUT,
        /** The output, a string, a list or a range exceeded its size limit. */
        TOO_BIG,
        /** No chat template in the tokenizer folder, or a malformed input. */
        INPUT
    }

    private final Kind kind;

    public ChatTemplateException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ChatTemplateException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
