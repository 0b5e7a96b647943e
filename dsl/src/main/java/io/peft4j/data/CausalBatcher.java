package io.peft4j.data;

import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.chat.ChatTemplate;
import io.peft4j.model.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Batches for a decoder-only model: each example is one sequence, prompt + response + eos
 * (the prompt with the special tokens the tokenizer's post-processor adds, e.g. Llama's BOS), with
 * the loss on the response and the eos only (labels -100 on the prompt and on padding), right-padded.
 *
 * <p>The prompt's extent is found as TRL finds it: the prompt is tokenized alone and with its
 * response, and the loss starts after their common prefix (so a token merged across the boundary
 * counts as response). Too long an example loses tokens from the left of its prompt (a BOS stays
 * first), keeping the whole response when it fits in {@code maxTargetLength}; how many examples
 * were cut is logged and kept in {@link #truncated()}.
 *
 * <p>Conversations (records with {@link Instructions#MESSAGES}) need a chat template
 * ({@link #withChatTemplate}): they are rendered and labelled by a {@link ConversationEncoder} (the
 * loss on every assistant turn and its end-of-turn token). One longer than the limit keeps its last
 * assistant turn (at most {@code maxTargetLength} tokens: the content cut from the right, its
 * end-of-turn tokens kept), drops the template's text after it and loses its earliest tokens (a
 * BOS stays first); it counts in {@link #truncated()} too. A record that cannot be rendered is an
 * error naming where it came from ({@link Dataset#origins()}: file and line for instruction files).
 *
 * <p>Order and bucketing are the {@link Batcher}'s ({@link BatchConfig}); the total length is at
 * most {@code maxSourceLength + maxTargetLength}.
 */
public final class CausalBatcher {
    private static final Logger LOG = LoggerFactory.getLogger(CausalBatcher.class);

    private final TextTokenizer tokenizer;
    private final BatchConfig config;
    private final ConversationEncoder chat;   // null: conversations are refused
    private final String chatOwner;
    private int truncated, turnsWithoutEnd;

    public CausalBatcher(TextTokenizer tokenizer, BatchConfig config) { this(tokenizer, config, null, null); }

    private CausalBatcher(TextTokenizer tokenizer, BatchConfig config, ChatTemplate template, String owner) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.config = Objects.requireNonNull(config, "config");
        if (tokenizer.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no eos token: a causal example ends with one");
        this.chat = template == null ? null : new ConversationEncoder(tokenizer, template);
        this.chatOwner = owner;
    }

    /**
     * This batcher, rendering conversations with {@code template} ({@code owner} names whose
     * template it is in error messages, e.g. the model's id).
     */
    public CausalBatcher withChatTemplate(ChatTemplate template, String owner) {
        return new CausalBatcher(tokenizer, config, Objects.requireNonNull(template, "template"), owner == null ? "the model" : owner);
    }

    /** Examples cut by the last {@link #batches} call. */
    public int truncated() { return truncated; }

    /** Assistant turns of the last {@link #batches} call that the chat template ends with no special token (they learn no end of turn). */
    public int turnsWithoutEndToken() { return turnsWithoutEnd; }

    /** One example's ids and labels. */
    public record Encoded(int[] ids, int[] labels) {}

    /** Encodes prompt + response + eos with labels on the response and eos; cuts the prompt from the left past {@code maxLength}. */
    public Encoded encode(String prompt, String response, int maxLength, int maxResponse) {
        int[] p = check(tokenizer.encode(prompt), prompt);
        int[] full = check(tokenizer.encode(prompt + response), prompt + response);
        int eos = tokenizer.eosId();
        int promptLen = p.length > 0 && p[p.length - 1] == eos ? p.length - 1 : p.length;  // an eos the post-processor appends
        int common = 0;
        while (common < promptLen && common < full.length && p[common] == full[common]) common++;
        int[] resp = Arrays.copyOfRange(full, common, full.length);
        if (common < promptLen) {
            // the prompt's last tokens merge with the response's first ones (a prompt ending in a space:
            // "Summary: " + "Ben" encodes as "Summary", ":", " Ben"). Generation sees the prompt's own
            // tokens, so train on those followed by the response's: what the model learns to continue
            // is exactly what it is given at generation time.
            common = promptLen;
            full = p;
            resp = responseTokens(response);
        }
        if (resp.length == 0 || resp[resp.length - 1] != eos) { resp = Arrays.copyOf(resp, resp.length + 1); resp[resp.length - 1] = eos; }
        int[] head = Arrays.copyOf(full, common);
        boolean cut = false;
        if (resp.length > maxResponse) { resp = Arrays.copyOf(resp, maxResponse); resp[maxResponse - 1] = eos; cut = true; }
        int keepPrompt = Math.max(0, maxLength - resp.length);
        if (head.length > keepPrompt) {
            int bos = tokenizer.bosId();
            int[] h = new int[keepPrompt];
            if (keepPrompt > 0 && bos >= 0 && head[0] == bos) {
                h[0] = bos;
                System.arraycopy(head, head.length - (keepPrompt - 1), h, 1, keepPrompt - 1);
            } else System.arraycopy(head, head.length - keepPrompt, h, 0, keepPrompt);
            head = h;
            cut = true;
        }
        if (cut) truncated++;
        int[] ids = new int[head.length + resp.length], labels = new int[ids.length];
        System.arraycopy(head, 0, ids, 0, head.length);
        System.arraycopy(resp, 0, ids, head.length, resp.length);
        Arrays.fill(labels, 0, head.length, Batcher.IGNORE);
        System.arraycopy(resp, 0, labels, head.length, resp.length);
        return new Encoded(ids, labels);
    }

    /** The response's tokens on their own, without the special tokens the post-processor adds. */
    private int[] responseTokens(String response) {
        int[] r;
        try {
            r = tokenizer.encode(response, false);
        } catch (UnsupportedOperationException e) {
            r = tokenizer.encode(response);
            int bos = tokenizer.bosId();
            if (r.length > 0 && bos >= 0 && r[0] == bos) r = Arrays.copyOfRange(r, 1, r.length);
        }
        return r;
    }

    /**
     * Renders and labels a conversation ({@link ConversationEncoder}), then fits it into
     * {@code maxLength} tokens: a longer one keeps its last assistant turn (at most
     * {@code maxLastTurn} tokens, its end-of-turn tokens kept), drops the text after it and loses
     * its earliest tokens, a BOS kept first.
     *
     * @throws IllegalStateException when this batcher has no chat template
     */
    public Encoded encodeConversation(List<Map<String, Object>> messages, int maxLength, int maxLastTurn) {
        if (chat == null) throw new IllegalStateException("no chat template: use withChatTemplate to batch conversations");
        if (maxLength < 1 || maxLastTurn < 1)
            throw new IllegalArgumentException("maxLength " + maxLength + " and maxLastTurn " + maxLastTurn + " must be >= 1");
        ConversationEncoder.Encoded c = chat.encode(messages);
        turnsWithoutEnd += c.turnsWithoutEndToken();
        return fit(c, maxLength, Math.min(maxLastTurn, maxLength));
    }

    private Encoded fit(ConversationEncoder.Encoded c, int maxLength, int maxLastTurn) {
        int[] ids = c.ids(), labels = c.labels();
        if (ids.length <= maxLength) return new Encoded(ids, labels);
        truncated++;
        ConversationEncoder.Turn last = c.turns().get(c.turns().size() - 1);
        int a = last.start(), ce = last.contentEnd(), b = last.end();
        int[] turnIdx;   // positions of the kept last-turn tokens
        if (b - a <= maxLastTurn) turnIdx = range(a, b);
        else {
            int endTokens = Math.min(b - ce, maxLastTurn);
            int[] content = range(a, a + (maxLastTurn - endTokens)), end = range(b - endTokens, b);
            turnIdx = concat(content, end);
        }
        int room = Math.max(0, maxLength - turnIdx.length);
        int[] headIdx;
        if (a <= room) headIdx = range(0, a);
        else {
            int bos = tokenizer.bosId();
            headIdx = room > 0 && bos >= 0 && ids[0] == bos ? concat(new int[]{0}, range(a - (room - 1), a)) : range(a - room, a);
        }
        int[] keep = concat(headIdx, turnIdx);
        int[] outIds = new int[keep.length], outLabels = new int[keep.length];
        for (int i = 0; i < keep.length; i++) { outIds[i] = ids[keep[i]]; outLabels[i] = labels[keep[i]]; }
        return new Encoded(outIds, outLabels);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    private static int[] concat(int[] x, int[] y) {
        int[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    private int[] check(int[] ids, String text) {
        int vocab = tokenizer.vocabSize();
        for (int id : ids)
            if (id < 0 || id >= vocab)
                throw new IllegalStateException("tokenizer produced id " + id + " outside [0, " + vocab + ") for text: "
                    + (text.length() <= 60 ? text : text.substring(0, 57) + "..."));
        return ids;
    }

    /**
     * The batches of the whole dataset, each example once: prompt/response records with the
     * dataset's prompt template applied to the sources, conversations with the chat template.
     *
     * @throws IllegalArgumentException naming the record's origin when a conversation cannot be
     *         rendered, or when there are conversations and no chat template
     */
    public List<Batch> batches(Dataset data) {
        truncated = 0;
        turnsWithoutEnd = 0;
        List<String> src = data.sources(), tgt = data.targets(), msgs = data.messages();
        int maxLen = config.maxSourceLength() + config.maxTargetLength();
        Encoded[] enc = new Encoded[src.size()];
        int[][] lengths = new int[src.size()][];
        List<String> origins = null;
        for (int i = 0; i < enc.length; i++) {
            String m = msgs.get(i);
            if (m == null || m.isEmpty()) enc[i] = encode(src.get(i), tgt.get(i), maxLen, config.maxTargetLength());
            else {
                if (origins == null) origins = data.origins();
                if (chat == null)
                    throw new IllegalArgumentException(origins.get(i) + ": a conversation (\"messages\") needs a chat template to be rendered; this batcher has none");
                try {
                    enc[i] = encodeConversation(ConversationEncoder.parse(m), maxLen, config.maxTargetLength());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(origins.get(i) + ": " + e.getMessage() + " (chat template of " + chatOwner + ")", e);
                }
            }
            lengths[i] = enc[i].ids();
        }
        if (truncated > 0)
            LOG.warn("{} of {} examples of '{}' were longer than {} tokens and lost the start of their prompt or conversation", truncated,
                enc.length, data.name(), maxLen);
        if (turnsWithoutEnd > 0)
            LOG.warn("{} assistant turns of '{}' end with no special token in the chat template of {}: the model learns their content, not where a turn ends",
                turnsWithoutEnd, data.name(), chatOwner);
        int pad = tokenizer.padId() >= 0 ? tokenizer.padId() : tokenizer.eosId();
        List<Batch> out = new ArrayList<>();
        for (int[] rows : new Batcher(tokenizer, config).plan(data, lengths)) {
            int t = 0;
            for (int r : rows) t = Math.max(t, enc[r].ids().length);
            int[][] ids = new int[rows.length][t], mask = new int[rows.length][t], labels = new int[rows.length][t];
            for (int b = 0; b < rows.length; b++) {
                Encoded e = enc[rows[b]];
                Arrays.fill(ids[b], pad);
                System.arraycopy(e.ids(), 0, ids[b], 0, e.ids().length);
                Arrays.fill(mask[b], 0, e.ids().length, 1);
                Arrays.fill(labels[b], Batcher.IGNORE);
                System.arraycopy(e.labels(), 0, labels[b], 0, e.labels().length);
            }
            out.add(new Batch(ids, mask, labels));
        }
        return out;
    }
}
