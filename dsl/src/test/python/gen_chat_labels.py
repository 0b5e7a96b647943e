#!/usr/bin/env python3
"""Expected token ids and assistant-only labels of conversations rendered with chat templates.

For each (tokenizer, chat template, conversation) the conversation is rendered with transformers'
`apply_chat_template` and encoded (`tokenize=True`); the labels are the ids on every assistant turn's
content and on the end-of-turn special token the template writes right after it (after optional
whitespace), -100 everywhere else: TRL's assistant-only loss.

The labels are computed here independently of peft4j's method (which renders the whole conversation
with each assistant content replaced by a marker): for assistant message i,
  prompt_i = apply_chat_template(messages[:i], add_generation_prompt=True)   (what generation is prompted with)
  upto_i   = apply_chat_template(messages[:i + 1])
upto_i must start with prompt_i (the template's generation prompt is the turn's header) and the
whole rendering must start with upto_i; the turn's text upto_i[len(prompt_i):] starts with the
content (or, after spaces, the content stripped, for templates that strip it), then whitespace and a special token
(the end of turn; none for templates that write no special token there). The tokens whose character
offsets (the fast tokenizer's offset mapping) overlap that span carry labels. Cases where the
template refuses the conversation or breaks the prefix property are left out (and printed).

Usage (the venv with transformers 5.x; ../shared/fixtures/causal present):
    /work/pyenv/bin/python dsl/src/test/python/gen_chat_labels.py
Output: dsl/src/test/resources/io/peft4j/data/chat-labels.json
"""
import json
from pathlib import Path

import jinja2
import tokenizers
import transformers
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
RES = HERE.parent / "resources"
REPO = HERE.parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures" / "causal"
OUT = RES / "io" / "peft4j" / "data" / "chat-labels.json"

CONVERSATIONS = {
    "system_single": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Summarize: #Person1#: Hi, how are you? #Person2#: Fine, thanks."},
        {"role": "assistant", "content": "Two people greet each other."}],
    "multi_turn": [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"}],
    "system_multi_unicode": [
        {"role": "system", "content": "R\u00e9ponds en fran\u00e7ais."},
        {"role": "user", "content": "Quel temps fait-il \u00e0 Z\u00fcrich? \U0001F642"},
        {"role": "assistant", "content": "  Il fait beau, 21 \u00b0C.\n"},
        {"role": "user", "content": "Et demain ?"},
        {"role": "assistant", "content": "Cafe\u0301 et pluie \u2014 \u6771\u4eac\u3082\u96e8\u3002"}],
    "empty_and_spaces": [
        {"role": "user", "content": "Say nothing."},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "Now say ok."},
        {"role": "assistant", "content": " ok"}],
}

# (id, tokenizer folder, chat template source or None for the folder's own)
BPE = RES / "tokenizer" / "bpe"
TEMPLATES = RES / "tokenizer" / "chat" / "templates"
PAIRS = [("fixture:tiny_llama", FIXTURES / "tiny_llama", None),
         ("fixture:tiny_qwen2", FIXTURES / "tiny_qwen2", None)]
for tpl, tok in [("llama3", "llama3"), ("llama31", "llama3"), ("chatml", "qwen2"), ("qwen25", "qwen2"), ("qwen3", "qwen2"),
                 ("llama2", "llama2"), ("mistral", "mistral"), ("zephyr", "llama2"), ("gemma", "llama2"), ("phi3", "llama2"),
                 ("deepseek", "llama2")]:
    PAIRS.append((f"bpe/{tok}+{tpl}", BPE / tok, tpl))


def render(tok, tpl, msgs, agp):
    return tok.apply_chat_template(msgs, chat_template=tpl, tokenize=False, add_generation_prompt=agp)


def label_spans(tok, tpl, msgs, full):
    """Character spans [start, end) of every assistant turn's content + end-of-turn token in `full`."""
    specials = sorted(tok.all_special_tokens, key=len, reverse=True)
    spans = []
    for i, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        prompt = render(tok, tpl, msgs[:i], True) if i > 0 else ""
        upto = render(tok, tpl, msgs[:i + 1], False)
        if not upto.startswith(prompt):
            raise ValueError(f"messages[{i}]: the generation prompt is not the turn's header")
        if not full.startswith(upto):
            raise ValueError(f"messages[{i}]: the rendering of messages[:{i + 1}] is not a prefix of the whole")
        turn = upto[len(prompt):]
        content = m["content"]
        if content.strip() == "" and turn[:1].isspace():
            raise ValueError(f"messages[{i}]: empty content among the turn's spaces: where it sits is ambiguous here")
        lead = 0 if turn.startswith(content) else len(turn) - len(turn.lstrip(" "))   # llama2: ' ' + content.strip()
        shown = content if lead == 0 and turn.startswith(content) else content.strip()
        if not turn[lead:].startswith(shown):
            raise ValueError(f"messages[{i}]: the turn does not start with its content: {turn!r}")
        rest = turn[lead + len(shown):]
        ws = len(rest) - len(rest.lstrip())
        eot = next((s for s in specials if rest[ws:].startswith(s)), None)
        start = len(prompt) + lead
        end = start + len(shown) + (ws + len(eot) if eot else 0)
        spans.append([start, end, eot])
    return spans


def main():
    cases, skipped = [], []
    for pid, folder, tname in PAIRS:
        tok = AutoTokenizer.from_pretrained(str(folder))
        tpl = None if tname is None else (TEMPLATES / f"{tname}.jinja").read_text(encoding="utf-8")
        for cname, msgs in CONVERSATIONS.items():
            try:
                full = render(tok, tpl, msgs, False)
                spans = label_spans(tok, tpl, msgs, full)
            except (jinja2.exceptions.TemplateError, ValueError) as e:
                skipped.append(f"{pid} {cname}: {e}")
                continue
            ids = tok.apply_chat_template(msgs, chat_template=tpl, tokenize=True, return_dict=False)
            enc = tok(full, add_special_tokens=False, return_offsets_mapping=True)
            assert enc["input_ids"] == ids, (pid, cname)
            labels = [-100] * len(ids)
            for t, (s, e) in enumerate(enc["offset_mapping"]):
                if any(s < b and e > a for a, b, _ in spans):
                    labels[t] = ids[t]
            cases.append({"tokenizer": pid.split("+")[0], "template": tname, "conversation": cname, "messages": msgs,
                          "text": full, "ids": ids, "labels": labels, "end_of_turn": [sp[2] for sp in spans]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {"versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "jinja2": jinja2.__version__},
           "method": "gen_chat_labels.py: labels from prefix renderings (add_generation_prompt) and offset mappings",
           "skipped": skipped, "cases": cases}
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(OUT)
    print(f"{len(cases)} cases written to {OUT}; {len(skipped)} skipped:")
    for s in skipped:
        print("  " + s)


if __name__ == "__main__":
    main()
