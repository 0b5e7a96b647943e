package io.peft4j.hf;

import java.io.IOException;
import java.util.Objects;

/**
 * A model, adapter or dataset could not be found locally, in the Hugging Face cache, or on the hub,
 * or the hub's answer could not be trusted. {@link #kind()} says which, so that callers (the CLI,
 * the kernel) can react without parsing the message; the message itself names the repository, the
 * revision, the file and what to do.
 */
public class HubException extends IOException {

    /** What went wrong. */
    public enum Kind {
        /** The id, revision or file name is malformed (nothing was asked of the hub). */
        INVALID_REFERENCE,
        /** The repository does not exist (or is private and no token with access was sent). */
        REPO_NOT_FOUND,
        /** The repository exists but has no such branch, tag or commit. */
        REVISION_NOT_FOUND,
        /** The repository (or a local folder) lacks a file that is needed. */
        FILE_NOT_FOUND,
        /** A gated model whose licence has not been accepted, or a missing/refused token (HTTP 401/403). */
        ACCESS_DENIED,
        /** The repository has weights only as pickle files, which peft4j refuses to download or load. */
        PICKLE_ONLY,
        /** HF_HUB_OFFLINE is set and the cache lacks what is needed. */
        OFFLINE,
        /** The hub could not be reached, timed out, or answered 429/5xx. */
        NETWORK,
        /** The hub answered something malformed or hostile (bad names, redirect loop, sizes that disagree, huge listing). */
        PROTOCOL,
        /** A downloaded file does not match its checksum; nothing of it was kept. */
        INTEGRITY,
        /** A transfer stopped before the end; the partial file is kept and the next attempt resumes it. */
        INCOMPLETE,
        /** Anything else (the local file system, ...). */
        OTHER
    }

    private final Kind kind;

    public HubException(String message) { this(Kind.OTHER, message, null); }
    public HubException(String message, Throwable cause) { this(Kind.OTHER, message, cause); }
    public HubException(Kind kind, String message) { this(kind, message, null); }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() { return kind; }

    /** Whether a cached copy may stand in (the hub was unreachable, not a refusal or a bad answer). */
    public boolean isTransient() { return kind == Kind.NETWORK; }
}
