package io.peft4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.data.Dataset;
import io.peft4j.tools.DialogueGenerator;
import io.peft4j.data.Example;
import io.peft4j.hf.SentencePieceTokenizer;
import io.peft4j.tools.UnigramTrainer;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;

import java.util.ArrayList;
import java.util.List;

/** Tiny models and data for DSL tests: a Unigram vocabulary trained on generated dialogues and a random tiny T5. */
final class TinyModels {
    private static SentencePieceTokenizer tokenizer;

    private TinyModels() {}

    static Dataset dialogues(String split, int n, long seed) {
        List<Example> ex = new ArrayList<>();
        for (DialogueGenerator.Record r : DialogueGenerator.generate(split, n, seed))
            ex.add(new Example(r.fname(), r.dialogue(), r.summary(), r.topic()));
        return Dataset.of(split, ex);
    }

    static synchronized SentencePieceTokenizer tokenizer() {
        if (tokenizer == null) {
            List<String> texts = new ArrayList<>();
            for (Example e : dialogues("vocab", 200, 7).examples()) { texts.add(e.dialogue()); texts.add(e.summary()); }
            texts.add(Peft.SUMMARIZE.apply("x"));
            tokenizer = new UnigramTrainer(UnigramTrainer.Options.of(400)).train(texts);
        }
        return tokenizer;
    }

    /** A random tiny Llama (GQA 2:1, tied) sized to the tiny vocabulary; eos = the tokenizer's </s>, pad 0. */
    static CausalLM llama(long seed) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "llama"); n.put("vocab_size", tokenizer().vocabSize()); n.put("hidden_size", 16);
        n.put("intermediate_size", 32); n.put("num_hidden_layers", 2); n.put("num_attention_heads", 4); n.put("num_key_value_heads", 2);
        n.put("max_position_embeddings", 256); n.put("tie_word_embeddings", true); n.put("eos_token_id", 1); n.put("pad_token_id", 0);
        n.put("bos_token_id", 0);
        return CausalLM.of(io.peft4j.model.llama.LlamaModel.fromConfig(io.peft4j.model.llama.LlamaConfig.fromJson(n), seed), tokenizer(), "tiny-llama")
            .withGeneration(new io.peft4j.model.GenerationConfig(8, 1, 1.0, false, 1, 0, 0));
    }

    /** A random tiny FLAN-style T5 (gated GELU, untied head) sized to the tiny vocabulary. */
    static T5 t5(long seed) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("vocab_size", tokenizer().vocabSize()); n.put("d_model", 16); n.put("d_kv", 8); n.put("d_ff", 32);
        n.put("num_layers", 1); n.put("num_decoder_layers", 1); n.put("num_heads", 2); n.put("dropout_rate", 0.0);
        n.put("feed_forward_proj", "gated-gelu"); n.put("tie_word_embeddings", false);
        return T5.of(T5Model.fromConfig(T5Config.fromJson(n), seed), tokenizer(), "tiny-t5")
            .withGeneration(new io.peft4j.model.GenerationConfig(8, 1, 1.0, false, 1, 0, 0));
    }
}
