#!/usr/bin/env python3
"""Makes the BPE tokenizer fixtures of peft4j's tokenizer tests (dsl/src/test/resources/tokenizer/bpe/).

Five small tokenizers are trained here with Hugging Face `tokenizers` on DialogSum dialogues and
saved the way the model families ship theirs, then used to encode a fixed set of texts:

    gpt2      byte-level BPE, GPT-2's ByteLevel pre-tokenizer (its own regex), merges in the legacy
              "a b" string form, <|endoftext|> special, no post-processor specials
    roberta   the same model with add_prefix_space=True, a TemplateProcessing "<s> $A </s>"
              post-processor and a <mask> added token with lstrip (RoBERTa's pattern)
    llama3    Split(Llama 3 regex, \\p{N}{1,3}) + ByteLevel(use_regex=False), ignore_merges=True,
              BOS through TemplateProcessing, reserved/header specials, non-special added tokens
              (single_word, rstrip, normalized=True)
    qwen2     NFC normalizer, Split(Qwen2 regex, single digits) + ByteLevel, ChatML specials, no BOS
    llama2    SentencePiece-style BPE as Llama 2 / TinyLlama ship it: Prepend("\u2581") +
              Replace(" ", "\u2581") normalizer, no pre-tokenizer, byte_fallback with <0xNN> pieces,
              fuse_unk, "<s> $A" post-processor, Replace/ByteFallback/Fuse/Strip decoder
    mistral   the same pieces with a Metaspace(prepend_scheme="first", split=False) pre-tokenizer,
              byte_fallback off (unknown characters fuse into one <unk>), [INST]/[/INST] specials,
              Metaspace decoder

For every tokenizer, `examples.jsonl` holds one line per text of texts.jsonl (same order):
    {"ids": AutoTokenizer(text)["input_ids"]  (add_special_tokens=True, the post-processor's specials),
     "ids_plain": ids with add_special_tokens=False,
     "decoded": tok.decode(ids), "decoded_skip": tok.decode(ids, skip_special_tokens=True)}
(each decoded string is left out where it equals the text)
and then lines {"decode_ids": [...], "decoded", "decoded_skip"} for random id sequences (byte
pieces in any order, so invalid UTF-8 appears). AutoTokenizer (transformers, tokenizer_class
TokenizersBackend) and the bare `tokenizers.Tokenizer` are both run and must agree.

texts.jsonl: DialogSum dev snippets, hand-written edge cases (whitespace runs, unicode spaces,
contractions in any case, digits, literal and partial special tokens) and random texts drawn from
pools of scripts, emoji, combining marks (NFC/NFD pairs) and control characters.

Usage (the venv with tokenizers 0.23 and transformers 5.x; DialogSum from ../shared):
    /work/pyenv/bin/python dsl/src/test/python/gen_bpe_tokenizers.py [--shared ../shared] [--big /tmp/big-bpe]
--big also writes a Llama-3-style tokenizer of realistic size (about 27,600 tokens; not committed) with
examples, for the speed comparison in docs/TOKENIZERS.md.
"""
import argparse
import json
import os
import random
import sys
from pathlib import Path

import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "resources" / "tokenizer" / "bpe"

LLAMA3_PAT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_PAT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SPACE = "\u2581"
IGNORE_MERGES_WORDS = [" conversation", " unbelievable", "hello", " Summarize", "Dialogue", " 2024", " \u00e9t\u00e9"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHARS = bytes_to_unicode()


def corpus(shared):
    lines = []
    with open(shared / "datasets" / "dialogsum" / "dialogsum.train.jsonl", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 3000:
                break
            d = json.loads(line)
            lines.append(d["dialogue"])
            lines.append(d["summary"])
    return lines


def save(name, tok, config):
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    tok.save(str(d / "tokenizer.json"))
    cfg = {"backend": "tokenizers", "tokenizer_class": "TokenizersBackend", "model_max_length": 1000000}
    cfg.update(config)
    (d / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return d


def make_gpt2(lines):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tr = trainers.BpeTrainer(vocab_size=900, min_frequency=2, show_progress=False,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines, tr)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    d = save("gpt2", tok, {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"})
    # GPT-2's own tokenizer.json writes merges as "a b" strings: rewrite them so
    j = json.loads((d / "tokenizer.json").read_text(encoding="utf-8"))
    j["model"]["merges"] = [" ".join(m) for m in j["model"]["merges"]]
    (d / "tokenizer.json").write_text(json.dumps(j, ensure_ascii=False, indent=1), encoding="utf-8")
    return tok, d


def make_roberta(gpt2_dir):
    j = json.loads((gpt2_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tok = Tokenizer.from_str(json.dumps(j))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True)
    tok.add_special_tokens([AddedToken("<s>", special=True, normalized=False),
                            AddedToken("</s>", special=True, normalized=False),
                            AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    s, e = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                       special_tokens=[("<s>", s), ("</s>", e)])
    d = save("roberta", tok, {"bos_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "pad_token": "<s>"})
    return tok, d


def make_llama3(lines):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PAT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tr = trainers.BpeTrainer(vocab_size=1200, min_frequency=2, show_progress=False,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines, tr)
    # whole words in the vocabulary that the merges do not produce: only ignore_merges finds them
    j = json.loads(tok.to_str())
    for w in IGNORE_MERGES_WORDS:
        bw = "".join(BYTE_CHARS[b] for b in w.encode("utf-8"))
        if bw not in j["model"]["vocab"]:
            j["model"]["vocab"][bw] = len(j["model"]["vocab"])
    tok = Tokenizer.from_str(json.dumps(j))
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_2|>", "<|eot_id|>", "<|python_tag|>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tok.add_tokens([AddedToken("[ENTITY]", single_word=True, normalized=False),
                    AddedToken("<sep>", rstrip=True, normalized=False),
                    AddedToken("dialogue summary", normalized=True)])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                      pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    d = save("llama3", tok, {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "pad_token": "<|end_of_text|>"})
    return tok, d


def make_qwen2(lines):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PAT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tr = trainers.BpeTrainer(vocab_size=1000, min_frequency=2, show_progress=False,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines + ["caf\u00e9 na\u00efve \u00fcber \u00c5ngstr\u00f6m r\u00e9sum\u00e9"] * 50, tr)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False)
                            for s in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
    d = save("qwen2", tok, {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
    return tok, d


def spm_vocab(lines, vocab_size, limit_alphabet, byte_pieces, extra_specials=()):
    """Trains on Metaspace-split text and lays the vocabulary out as SentencePiece does:
    <unk>, <s>, </s>, [extra specials], [<0x00>..<0xFF>], then the learnt pieces."""
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always", split=True)
    tr = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False, limit_alphabet=limit_alphabet)
    t.train_from_iterator(lines, tr)
    learnt = json.loads(t.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for s in extra_specials:
        vocab[s] = len(vocab)
    if byte_pieces:
        for b in range(256):
            vocab["<0x%02X>" % b] = len(vocab)
    for piece, _ in sorted(learnt["vocab"].items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    return vocab, learnt["merges"]


def spm_json(vocab, merges, byte_fallback, specials, pre_tokenizer, normalizer, decoder, post):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for s in specials],
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post, "decoder": decoder,
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": byte_fallback, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def bos_template(bos, bos_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def make_llama2(lines):
    vocab, merges = spm_vocab(lines, 1100, 70, byte_pieces=True)
    j = spm_json(vocab, merges, True, ["<unk>", "<s>", "</s>"],
                 pre_tokenizer=None,
                 normalizer={"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": SPACE},
                                                                 {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
                 decoder={"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                                                           {"type": "ByteFallback"}, {"type": "Fuse"},
                                                           {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
                 post=bos_template("<s>", 1))
    tok = Tokenizer.from_str(json.dumps(j))
    d = save("llama2", tok, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    return tok, d


def make_mistral(lines):
    vocab, merges = spm_vocab(lines, 900, 60, byte_pieces=False, extra_specials=["[INST]", "[/INST]"])
    j = spm_json(vocab, merges, False, ["<unk>", "<s>", "</s>", "[INST]", "[/INST]"],
                 pre_tokenizer={"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "first", "split": False},
                 normalizer=None,
                 decoder={"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "first", "split": False},
                 post=bos_template("<s>", 1))
    tok = Tokenizer.from_str(json.dumps(j))
    d = save("mistral", tok, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    return tok, d


# ---- texts ------------------------------------------------------------------------------------

POOLS = {
    "ascii": ["the", "The", "THE", "hello", "world", "Person1", "#Person1#:", "#Person2#:", "summary", "don't", "I'm",
              "you're", "we've", "they'll", "she'd", "it's", "IT'S", "WE'LL", "You'Re", "x'ſ", "x'ſt", "O'Neil",
              "rock'n'roll", "'s", "'S", "''", "'", "a", "I", "z", "ab", "abc", "ing", "tion", "un", "re", "cafe", "dialogue",
              "Dialogue Summary", "dialogue summary", "Summarize:", "...", "!!!", "???", "--", "----", "(x)", "[y]",
              "{z}", "<b>", "</b>", "<", ">", "|", "<|", "|>", "$9.99", "100%", "a@b.c", "http://x.y/z?q=1&r=2", "C++",
              "e.g.", "U.S.A.", "\\n", "\\"],
    "digits": ["0", "1", "12", "123", "1234", "12345", "1234567", "3.14", "1,000", "2024-06-11", "07:30", "+44",
               "\u0663\u0664\u0665", "\u00bd", "\u2460", "\uff11\uff12", "\u00b2", "\u2167"],
    "latin": ["na\u00efve", "caf\u00e9", "cafe\u0301", "\u00fcber", "u\u0308ber", "Stra\u00dfe", "Gr\u00f6\u00dfe", "\u00c5ngstr\u00f6m",
              "A\u030angstro\u0308m", "r\u00e9sum\u00e9", "\u0218tefan", "\u00c6sir", "\u00f8l", "\ufb01ne", "\u0130stanbul",
              "\u0131", "\u1e9e", "\u01c5", "\u212b", "\u2126"],
    "scripts": ["\u4f60\u597d", "\u6211\u7231\u5317\u4eac", "\u6771\u4eac", "\u3053\u3093\u306b\u3061\u306f",
                "\u30ab\u30bf\u30ab\u30ca", "\uc548\ub155\ud558\uc138\uc694", "\u1100\u1161\u11a8", "\u043f\u0440\u0438\u0432\u0435\u0442",
                "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd",
                "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0",
                "\u0531\u0562", "\u1208\u1218"],
    "emoji": ["\U0001F600", "\U0001F44D", "\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
              "\U0001F1EF\U0001F1F5", "\u2764\ufe0f", "\U0001F9D1\u200d\U0001F4BB", "\U0001F600\U0001F600\U0001F600"],
    "odd": ["\u200b", "\ufeff", "\u00ad", "\u200d", "\u2060", "\u0000", "\u0007", "\u001b[0m", "\u007f", "\u0085",
            "\u180e", "\u0301", "\u0300\u0301", "\ufffd", "\u2581", "\u2581\u2581x", "\u0120", "\u010a", "\ue000"],
}
SEPS = [" ", " ", " ", " ", "", "  ", "   ", "\n", "\n\n", "\t", " \n", "\n ", " \n \n", "\r\n", "\u00a0",
        "\u3000", "\u2009", "\u2028", "\u0085", "\u000b", "\u000c", "\u001c", "      "]

EDGE = ["", " ", "  ", "\n", "\n\n\n", "\t", " \t \n ", "a", " a", "a ", "  a  ", "a  b", "a\n\nb", "a \n b",
        "a\u00a0\u00a0b", "x\u3000\u3000 y", "hello   world  ", "   leading", "trailing   ", "1 22 333 4444 55555",
        "I'M YOU'RE WE'VE THEY'LL SHE'D IT'S DON'T", "x'Ll x'Re x'D x'M x'T x's", "he said 'sorry' 'll 'd",
        "\u00e9\u0301", "e\u0301\u0301", "\u1100\u1161\u11a8\u1100", "\u212b\u2126\u00c5",
        "#Person1#: Hi.\n#Person2#: Hello.", "Summarize the following conversation.\n\n#Person1#: x",
        "\u2581hello \u2581 world", "<0x41> <0x0A>", "<unk> <s> </s>",
        "Summarize this conversation: unbelievable, hello! Dialogue of 2024 \u00e9t\u00e9", "hello conversation  unbelievable",
        " Summarize Dialogue 2024 2024 2024"]


def texts(shared, specials_all):
    rng = random.Random(20240611)
    out = []
    with open(shared / "datasets" / "dialogsum" / "dialogsum.dev.jsonl", encoding="utf-8") as f:
        dev = [json.loads(l) for l in f]
    for d in rng.sample(dev, 60):
        field = d["dialogue"] if rng.random() < 0.7 else d["summary"]
        start = rng.randint(0, max(0, len(field) - 40))
        out.append(field[start:start + rng.randint(20, 300)])
    out += EDGE
    names = list(POOLS)
    for _ in range(150):
        parts = []
        for _ in range(rng.randint(1, 14)):
            pool = POOLS[rng.choice(names)] if rng.random() < 0.6 else POOLS["ascii"]
            parts.append(rng.choice(pool))
            parts.append(rng.choice(SEPS))
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(SEPS))
        if rng.random() < 0.1:
            parts.append("".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 6))))
        out.append("".join(parts))
    # literal special tokens of every fixture, whole, partial and glued
    for _ in range(60):
        parts = []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(specials_all))
            elif r < 0.55:
                s = rng.choice(specials_all)
                parts.append(s[:rng.randint(1, len(s) - 1)])
            else:
                parts.append(rng.choice(POOLS["ascii"] + POOLS["latin"]))
            parts.append(rng.choice(["", " ", "  ", "\n", " \n "]))
        out.append("".join(parts))
    return out


def check_same(a, b, what):
    if a != b:
        raise SystemExit(f"AutoTokenizer and tokenizers disagree on {what}: {a!r} vs {b!r}")


def examples(name, tok, d, all_texts, rng):
    auto = AutoTokenizer.from_pretrained(str(d))
    lines = []
    for t in all_texts:
        ids = auto(t)["input_ids"]
        plain = auto(t, add_special_tokens=False)["input_ids"]
        check_same(ids, tok.encode(t).ids, f"{name} ids of {t!r}")
        check_same(plain, tok.encode(t, add_special_tokens=False).ids, f"{name} plain ids of {t!r}")
        dec, dec_skip = auto.decode(ids), auto.decode(ids, skip_special_tokens=True)
        check_same(dec, tok.decode(ids, skip_special_tokens=False), f"{name} decode of {t!r}")
        check_same(dec_skip, tok.decode(ids, skip_special_tokens=True), f"{name} decode-skip of {t!r}")
        line = {"ids": ids, "ids_plain": plain}
        if dec != t:
            line["decoded"] = dec
        if dec_skip != t:
            line["decoded_skip"] = dec_skip
        lines.append(line)
    n = tok.get_vocab_size(with_added_tokens=True)
    for _ in range(40):
        ids = [rng.randrange(n) for _ in range(rng.randint(1, 12))]
        dec, dec_skip = auto.decode(ids), auto.decode(ids, skip_special_tokens=True)
        check_same(dec, tok.decode(ids, skip_special_tokens=False), f"{name} decode of {ids}")
        lines.append({"decode_ids": ids, "decoded": dec, "decoded_skip": dec_skip})
    with open(d / "examples.jsonl", "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(lines)


def make_big(shared, out):
    """A Llama-3-style tokenizer with a realistic vocabulary (about 27,600 tokens from all DialogSum train text,
    251 specials) and its examples, written to OUT (not committed: 2 MB): for the speed comparison with T5 and an
    exactness check at a real vocabulary size (BigCheck: every examples.jsonl line, ids and decoded)."""
    lines = []
    with open(shared / "datasets" / "dialogsum" / "dialogsum.train.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            lines += [d["dialogue"], d["summary"]]
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_PAT), behavior="isolated", invert=False),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=32000, min_frequency=2, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken("<|begin_of_text|>", special=True, normalized=False)]
                           + [AddedToken(f"<|reserved_special_token_{i}|>", special=True, normalized=False) for i in range(250)])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", bos)])
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    with open(shared / "datasets" / "dialogsum" / "dialogsum.dev.jsonl", encoding="utf-8") as f:
        dev = [json.loads(l) for l in f]
    texts = [d["dialogue"] for d in dev] + [d["summary"] for d in dev]
    with open(OUT / "texts.jsonl", encoding="utf-8") as f:
        texts += [json.loads(l)["text"] for l in f]
    with open(out / "examples.jsonl", "w", encoding="utf-8") as f:
        for t in texts:
            ids = tok.encode(t).ids
            f.write(json.dumps({"text": t, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)}, ensure_ascii=False) + "\n")
    print(f"big: vocab {tok.get_vocab_size()}, {len(texts)} examples in {out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.environ.get("PEFT4J_SHARED", str(HERE.parents[3] / ".." / "shared")))
    ap.add_argument("--big", help="also write a realistic-size Llama-3-style tokenizer and examples to this folder (outside the repo)")
    args = ap.parse_args()
    shared = Path(args.shared)
    if args.big:
        make_big(shared, Path(args.big))
    lines = corpus(shared)
    made = {}
    made["gpt2"] = make_gpt2(lines)
    made["roberta"] = make_roberta(made["gpt2"][1])
    made["llama3"] = make_llama3(lines)
    made["qwen2"] = make_qwen2(lines)
    made["llama2"] = make_llama2(lines)
    made["mistral"] = make_mistral(lines)
    specials = sorted({s for _, (tok, _) in made.items() for s, a in
                       ((a.content, a) for a in tok.get_added_tokens_decoder().values())})
    all_texts = texts(shared, specials)
    with open(OUT / "texts.jsonl", "w", encoding="utf-8") as f:
        for t in all_texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    rng = random.Random(7)
    for name, (tok, d) in made.items():
        n = examples(name, tok, d, all_texts, rng)
        print(f"{name}: {n} lines, vocab {tok.get_vocab_size(with_added_tokens=True)}", file=sys.stderr)
    (OUT / "VERSIONS").write_text(f"tokenizers {tokenizers.__version__}\ntransformers {transformers.__version__}\n")


if __name__ == "__main__":
    main()
