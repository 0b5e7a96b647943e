/**
 * The family-neutral pieces of decoder-only (causal) language models, shared by the Llama-shaped
 * engine ({@code io.peft4j.model.llama}) and GPT-2:
 * <ul>
 *   <li>{@link io.peft4j.model.causal.CausalAttention}: scaled dot-product self-attention of projected
 *       (and, for rotary families, rotated) q/k/v in the projections' row layout; multi-head,
 *       grouped-query and multi-query; causal plus key-padding mask (optionally a sliding window) as
 *       transformers builds it, a zero context for a query that sees no key (SDPA's fully masked
 *       row); explicit backward; decode step over a {@link io.peft4j.model.causal.KvCache};</li>
 *   <li>{@link io.peft4j.model.causal.CausalLmLoss}: transformers' shifted causal-LM loss;</li>
 *   <li>{@link io.peft4j.model.causal.CausalInputs}: validation of ids, masks and labels before any
 *       gather, and position ids as transformers uses them (plain forward: 0..T-1 on every row;
 *       generation: cumsum(mask) - 1);</li>
 *   <li>{@link io.peft4j.model.causal.CausalDecoding}: the {@link io.peft4j.model.DecodingSession} of
 *       every causal family (prompt rows as output prefixes, growing mask and positions, beam
 *       reordering); a family supplies prefill / step / reorder through
 *       {@link io.peft4j.model.causal.CausalDecoding.Steps}.</li>
 * </ul>
 */
package io.peft4j.model.causal;
