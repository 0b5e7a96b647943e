/**
 * Llama-shaped decoder-only models ({@code model_type} {@code llama}, {@code mistral}, {@code qwen2}):
 * {@link io.peft4j.model.llama.LlamaConfig} (transformers 4.x and 5.x config styles),
 * {@link io.peft4j.model.llama.RopeConfig} and {@link io.peft4j.model.llama.RotaryEmbedding} (default,
 * {@code linear}, {@code llama3}), {@link io.peft4j.model.llama.LlamaAttention} (q/k/v with optional
 * bias, rotary, the shared causal attention core, o), {@link io.peft4j.model.llama.LlamaMlp} (SwiGLU),
 * {@link io.peft4j.model.llama.LlamaLayer} (pre-norm residual block) and
 * {@link io.peft4j.model.llama.LlamaModel} (the {@link io.peft4j.model.LanguageModel}: Hugging Face names,
 * tied or untied LM head, loading, saving, decoding).
 */
package io.peft4j.model.llama;
