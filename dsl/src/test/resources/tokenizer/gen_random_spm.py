"""Generates random_spm.jsonl: synthetic texts (no third-party text) with SentencePiece's ids.

Run from this folder with a Python that has `sentencepiece` (0.2.2 was used; the T5 model is
../shared/models/t5-tokenizer/spiece.model):
    python gen_random_spm.py /path/to/spiece.model > random_spm.jsonl
Each line: {"text", "ids": sp.encode(text) + [1], "decoded": sp.decode(ids without 0/1/2)}.
"""
import json, random, sys
import sentencepiece as spm

sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
rng = random.Random(20240611)
words = ["the", "The", "summarize", "Person1", "#Person2#:", "don't", "naïve", "café", "----", "---", "--",
         "...", "!!!", "???", "xx", "xxxx", "123", "3.14", "1,000", "Straße", "Größe", "über", "ﬁ", "½", "①",
         "ＡＢＣ", "我爱", "東京", "😍", "👍🏽", "{", "}", "~", "^", "\\", "<", ">", "Ștefan", "ï", "Æ", "ø",
         "e\u0301", "\u00a0\u0301", "a\u200bb", "tab\tx", "line\nbreak", "\u3000", "\u2028", "\u0085", "\u00ad",
         "\u000b", "\u007f", "\u0000", "▁", "▁▁", "http://x.y/z?q=1", "@", "$9.99", "€5", "'s", "“q”", "‘s’", "–", "—",
         "…", "ab", "abc", "ing", "tion", "un", "re", "s", "a", "I", "hello", "world", "summary", "dialogue"]
seps = [" ", " ", " ", "", "  ", "\n", "\t", " \n ", "\u00a0"]
for i in range(400):
    n = rng.randint(0, 25)
    parts = []
    for _ in range(n):
        if rng.random() < 0.15:
            parts.append("".join(chr(rng.choice([rng.randint(33, 126), rng.randint(0xC0, 0x17F), rng.randint(0x2000, 0x206F), rng.randint(0x4E00, 0x4E80)])) for _ in range(rng.randint(1, 4))))
        else:
            parts.append(rng.choice(words))
        parts.append(rng.choice(seps))
    text = "".join(parts)
    ids = sp.encode(text) + [1]
    keep = [t for t in ids if t > 2]
    print(json.dumps({"text": text, "ids": ids, "decoded": sp.decode(keep)}, ensure_ascii=False))
