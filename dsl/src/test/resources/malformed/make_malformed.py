#!/usr/bin/env python3
"""Writes the hand-made malformed files of this folder (stdlib only; the files are committed).

Each file is one known way a file can be broken or hostile; MalformedCorpusTest loads every file
with its reader and expects the reader's documented exception naming the file. Run from this
folder: python3 make_malformed.py
"""
import json, os, struct

def w(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))

def st(header, data=b"", length=None):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(h) if length is None else length & 0xFFFFFFFFFFFFFFFF) + h + data

ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
S = "safetensors/"
w(S + "empty.safetensors", b"")
w(S + "short.safetensors", b"\x01\x02\x03")
w(S + "length_past_end.safetensors", st(ok, b"\0" * 8, length=10_000))
w(S + "length_negative.safetensors", st(ok, b"\0" * 8, length=-1))
w(S + "length_huge.safetensors", st(ok, b"\0" * 8, length=1 << 62))
w(S + "not_utf8.safetensors", st(b'{"\xff\xfe": 1}'))
w(S + "not_json.safetensors", st(b'{"a": {"dtype": "F32",'))
w(S + "not_object.safetensors", st(b"[1, 2, 3]"))
w(S + "deep_nesting.safetensors", st(b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"))
w(S + "unknown_dtype.safetensors", st({"a": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, b"\0\0"))
w(S + "negative_dim.safetensors", st({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8))
w(S + "shape_overflow.safetensors", st({"a": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}, b"\0" * 8))
w(S + "bytes_overflow.safetensors", st({"a": {"dtype": "F64", "shape": [2**61], "data_offsets": [0, 8]}}, b"\0" * 8))
w(S + "shape_disagrees.safetensors", st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8))
w(S + "offsets_past_end.safetensors", st({"a": {"dtype": "F32", "shape": [2**30], "data_offsets": [0, 2**32]}}, b"\0" * 8))
w(S + "offsets_reversed.safetensors", st({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, b"\0" * 8))
w(S + "offsets_negative.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}, b"\0" * 8))
w(S + "offsets_overlap.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
w(S + "too_many_elements.safetensors", st({"a": {"dtype": "U8", "shape": [2**31], "data_offsets": [0, 2**31]}}, b"\0" * 8))
w(S + "metadata_not_strings.safetensors", st({"__metadata__": {"format": 1}}))
w(S + "offsets_not_integers.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0.5, 8]}}, b"\0" * 8))

C = "config/"
w(C + "not_json.json", "{vocab_size: 32")
w(C + "array.json", "[1, 2]")
w(C + "vocab_negative.json", json.dumps({"vocab_size": -5}))
w(C + "vocab_huge.json", json.dumps({"vocab_size": 2**40}))
w(C + "d_model_string.json", json.dumps({"d_model": "512"}))
w(C + "dropout_one.json", json.dumps({"dropout_rate": 1.0}))
w(C + "activation_unknown.json", json.dumps({"feed_forward_proj": "gated-swish"}))
w(C + "pad_outside_vocab.json", json.dumps({"vocab_size": 10, "pad_token_id": 10}))
w(C + "deep_nesting.json", "[" * 3000 + "]" * 3000)
w(C + "not_utf8.json", b'{"vocab_size": 32, "name": "\xff\xfe"}')

A = "adapter_config/"
base = {"peft_type": "LORA", "task_type": "SEQ_2_SEQ_LM", "r": 2, "lora_alpha": 16, "target_modules": ["q", "v"]}
def ac(name, **kv):
    d = dict(base); d.update(kv); d = {k: v for k, v in d.items() if v is not Ellipsis}
    w(A + name, json.dumps(d))
ac("rank_zero.json", r=0)
ac("rank_huge.json", r=2**31 - 1)
ac("rank_string.json", r="8")
ac("wrong_peft_type.json", peft_type="PREFIX_TUNING")
ac("no_target_matches.json", target_modules=["nothing_like_this"])
ac("bad_regex.json", target_modules="(unclosed")
ac("layers_negative.json", layers_to_transform=[-1])
ac("dropout_nan.json", lora_dropout=float("nan"))
ac("rank_pattern_bad.json", rank_pattern={"q": -3})
w(A + "not_json.json", '{"peft_type": "LORA", ')
w(A + "deep_nesting.json", '{"peft_type": "LORA", "r": ' + "[" * 5000 + "]" * 5000 + "}")

T = "tokenizer_json/"
tok = {"model": {"type": "Unigram", "unk_id": 2, "vocab": [["<pad>", 0], ["</s>", 0], ["<unk>", 0], ["\u2581a", -1.0]]}}
def tj(name, mut):
    d = json.loads(json.dumps(tok)); mut(d); w(T + name, json.dumps(d))
tj("unk_outside.json", lambda d: d["model"].update(unk_id=99))
tj("unk_negative.json", lambda d: d["model"].update(unk_id=-1))
tj("bpe_model.json", lambda d: d["model"].update(type="BPE"))
tj("vocab_entry_bad.json", lambda d: d["model"]["vocab"].append(["x"]))
tj("no_eos.json", lambda d: d["model"].update(vocab=[["<unk>", 0], ["\u2581a", -1.0]], unk_id=0))
tj("added_token_outside.json", lambda d: d.update(added_tokens=[{"id": 1000, "content": "</s>"}]))
tj("added_token_empty.json", lambda d: d.update(added_tokens=[{"id": 3, "content": ""}]))
tj("charsmap_bad_base64.json", lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "!!!"}))
tj("charsmap_too_short.json", lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "AAE="}))
tj("charsmap_size_lies.json", lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "/////wAAAAA="}))
w(T + "truncated.json", json.dumps(tok)[:40])
w(T + "not_utf8.json", b'{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["\xc0\x80", 0]]}}')

# BPE tokenizer.json (byte-level and SentencePiece-style): each is refused with the file named
bpe = {"added_tokens": [{"id": 4, "content": "<s>", "special": True, "normalized": False}],
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
       "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                          "special_tokens": {"<s>": {"id": "<s>", "ids": [4], "tokens": ["<s>"]}}},
       "decoder": {"type": "ByteLevel"},
       "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3}, "merges": ["a b"]}}
def bj(name, mut):
    d = json.loads(json.dumps(bpe)); mut(d); w(T + "bpe_" + name, json.dumps(d))
bj("vocab_list.json", lambda d: d["model"].update(vocab=[["a", 0]]))
bj("vocab_negative_id.json", lambda d: d["model"]["vocab"].update(x=-3))
bj("vocab_id_huge.json", lambda d: d["model"]["vocab"].update(x=2**31 - 1))
bj("vocab_id_string.json", lambda d: d["model"]["vocab"].update(x="7"))
bj("no_merges.json", lambda d: d["model"].pop("merges"))
bj("merge_three_parts.json", lambda d: d["model"].update(merges=["a b c"]))
bj("merge_unknown_token.json", lambda d: d["model"].update(merges=["a z"]))
bj("merge_result_unknown.json", lambda d: d["model"].update(merges=["b a"]))
bj("merge_pair_bad.json", lambda d: d["model"].update(merges=[["a"]]))
bj("dropout.json", lambda d: d["model"].update(dropout=0.1))
bj("fuse_unk_string.json", lambda d: d["model"].update(fuse_unk="yes"))
bj("pre_tokenizer_unknown.json", lambda d: d.update(pre_tokenizer={"type": "BertPreTokenizer"}))
bj("normalizer_unknown.json", lambda d: d.update(normalizer={"type": "Nmt"}))
bj("decoder_unknown.json", lambda d: d.update(decoder={"type": "CTC"}))
bj("split_bad_regex.json", lambda d: d.update(pre_tokenizer={"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": False}))
bj("split_bad_behavior.json", lambda d: d.update(pre_tokenizer={"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways", "invert": False}))
bj("split_no_pattern.json", lambda d: d.update(pre_tokenizer={"type": "Split", "behavior": "Isolated"}))
bj("metaspace_long_replacement.json", lambda d: d.update(pre_tokenizer={"type": "Metaspace", "replacement": "__", "prepend_scheme": "always"}))
bj("metaspace_bad_scheme.json", lambda d: d.update(pre_tokenizer={"type": "Metaspace", "replacement": "_", "prepend_scheme": "sometimes"}))
bj("template_missing_special.json", lambda d: d["post_processor"].update(special_tokens={}))
bj("template_id_outside.json", lambda d: d["post_processor"]["special_tokens"]["<s>"].update(ids=[99]))
bj("template_no_sequence.json", lambda d: d["post_processor"].update(single=[{"SpecialToken": {"id": "<s>", "type_id": 0}}]))
bj("strip_decoder_bad.json", lambda d: d.update(decoder={"type": "Strip", "content": "ab", "start": 1, "stop": 0}))
bj("strip_decoder_huge.json", lambda d: d.update(decoder={"type": "Strip", "content": " ", "start": 2**40, "stop": 0}))
bj("added_token_no_content.json", lambda d: d.update(added_tokens=[{"id": 5}]))
bj("added_token_flag_string.json", lambda d: d.update(added_tokens=[{"id": 5, "content": "x", "special": "yes"}]))
def deep(n):
    node = {"type": "NFC"}
    for _ in range(n):
        node = {"type": "Sequence", "normalizers": [node]}
    return node
bj("normalizer_nested.json", lambda d: d.update(normalizer=deep(40)))
w(T + "bpe_model_type_wordpiece.json", json.dumps({"model": {"type": "WordPiece", "vocab": {"a": 0}}}))

P = "spiece/"
def varint(v):
    out = b""
    v &= 0xFFFFFFFFFFFFFFFF
    while v > 0x7F:
        out += bytes([(v & 0x7F) | 0x80]); v >>= 7
    return out + bytes([v])
def field(n, wire, payload): return varint(n << 3 | wire) + payload
def ld(n, b): return field(n, 2, varint(len(b)) + b)
def piece(s, t): return ld(1, ld(1, s.encode()) + field(2, 5, struct.pack("<f", -1.0)) + field(3, 0, varint(t)))
good = piece("<pad>", 3) + piece("</s>", 3) + piece("<unk>", 2) + piece("\u2581a", 1)
w(P + "empty.model", b"")
w(P + "truncated_varint.model", good + b"\x0a\xff\xff")
w(P + "length_past_end.model", good + b"\x0a\xff\xff\xff\x07")
w(P + "length_negative.model", good + b"\x0a" + varint(-1))
w(P + "varint_too_long.model", good + b"\x0a" + b"\xff" * 11)
w(P + "wire_type_7.model", good + b"\x0f")
w(P + "piece_type_99.model", good + piece("b", 99))
w(P + "unk_outside.model", good + ld(2, field(40, 0, varint(1000))))
w(P + "unk_negative.model", good + ld(2, field(40, 0, varint(-5))))
w(P + "bpe.model", good + ld(2, field(3, 0, varint(2))))
w(P + "no_pieces.model", ld(2, field(3, 0, varint(1))))
w(P + "charsmap_size_lies.model", good + ld(3, ld(2, b"\xff\xff\xff\x7f\0\0\0\0")))
w(P + "text_file.model", b"this is not a protobuf at all\n")

J = "jsonl/"
w(J + "not_json.jsonl", '{"dialogue": "a", "summary": "b"}\n{dialogue: x}\n')
w(J + "array_line.jsonl", '[1, 2, 3]\n')
w(J + "missing_dialogue.jsonl", '{"summary": "b"}\n')
w(J + "missing_summary.jsonl", '{"dialogue": "a"}\n')
w(J + "not_utf8.jsonl", b'{"dialogue": "\xff\xfe", "summary": "b"}\n')
w(J + "deep_nesting.jsonl", '{"dialogue": ' + "[" * 5000 + "]" * 5000 + ', "summary": "b"}\n')
w(J + "huge_number.jsonl", '{"dialogue": 1' + "0" * 5000 + ', "summary": "b"}\n')
w(J + "empty_key.jsonl", '{"": "a"}\n')

V = "csv/"
w(V + "no_dialogue_column.csv", "id,summary\n1,b\n")
w(V + "unclosed_quote.csv", 'id,dialogue,summary\n1,"never closed,b\n')
w(V + "not_utf8.csv", b"id,dialogue,summary\n1,\xff\xfe,b\n")
