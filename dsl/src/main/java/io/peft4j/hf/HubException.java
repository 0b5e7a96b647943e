package io.peft4j.hf;

import java.io.IOException;

/** A model could not be found locally, in the Hugging Face cache, or on the hub. */
public class HubException extends IOException {
    public HubException(String message) { super(message); }
    public HubException(String message, Throwable cause) { super(message, cause); }
}
