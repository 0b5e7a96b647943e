package io.peft4j;

/** The fine-tuning methods the DSL offers. */
public enum Method {
    BASE("base"), FULL("full fine-tuning"), LORA("LoRA"), IA3("IA3"), PROMPT_TUNING("prompt tuning"), SELECTIVE("selective");

    private final String label;
    Method(String label) { this.label = label; }
    public String label() { return label; }
}
