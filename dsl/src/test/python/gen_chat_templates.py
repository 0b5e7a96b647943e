#!/usr/bin/env python3
"""Renders the chat templates of dsl/src/test/resources/tokenizer/chat/templates/ with transformers.

The templates are written from the documented forms of the model families' chat templates (Llama 3,
Llama 3.1 with tools, Llama 2, Mistral, Zephyr/TinyLlama, ChatML, Qwen2.5 with tools, Qwen3 with
thinking and tools, Gemma, Phi-3, a DeepSeek-style one) plus `stress.jinja`, which exercises the
Jinja constructs beyond them (macros, set blocks, loop controls, filters, tests, str/dict methods,
Python-style printing of values, the {% generation %} tag) and `pystr.jinja`, which prints the results of
Python str/dict/list methods and filters on tricky whitespace and unicode).

Each case renders one conversation with `tokenizer.apply_chat_template(messages, chat_template=...,
tokenize=False, add_generation_prompt=..., tools=..., **kwargs)` and records the text, and the ids of
`tokenize=True` (the rendered text encoded with add_special_tokens=False), with the fixture
tokenizer of dsl/src/test/resources/tokenizer/bpe/ whose special tokens the template uses. A
template that raises records the error message instead.

Usage (after gen_bpe_tokenizers.py; the venv with transformers 5.x):
    /work/pyenv/bin/python dsl/src/test/python/gen_chat_templates.py
Output: dsl/src/test/resources/tokenizer/chat/cases.jsonl
"""
import json
from pathlib import Path

import jinja2
import transformers
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
RES = HERE.parent / "resources" / "tokenizer"
TEMPLATES = RES / "chat" / "templates"

TOKENIZER_OF = {"llama3": "llama3", "llama31": "llama3", "chatml": "qwen2", "qwen25": "qwen2", "qwen3": "qwen2",
                "llama2": "llama2", "mistral": "mistral", "zephyr": "llama2", "gemma": "llama2", "phi3": "llama2",
                "deepseek": "llama2", "stress": "llama2", "pystr": "llama2"}

U = [{"role": "user", "content": "Summarize: #Person1#: Hi. #Person2#: Hello."}]
SU = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "  two words  "}]
SUAU = SU + [{"role": "assistant", "content": "Done."}, {"role": "user", "content": "again"}]
UAUA = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."}, {"role": "assistant", "content": "Why did the chicken cross the road?"}]
WS = [{"role": "user", "content": "  Hi   there\tfriend  \n\nnew\u00a0line\u3000end.  "},
      {"role": "assistant", "content": "\u00e9t\u00e9 \u0130stanbul STRASSE stra\u00dfe \u01c5 x's \u03a3\u039f\u03a3"},
      {"role": "user", "content": "a\x1cb\x1dc d\u2028e\u0085f 12 \u0663\u0664"}]
UNI = [{"role": "user", "content": "na\u00efve caf\u00e9 \u6771\u4eac \U0001F642 \u2014  tabs\tand\nnewlines\n"},
       {"role": "assistant", "content": "  ok  "},
       {"role": "user", "content": "{{ 7*7 }} {% if x %}literal{% endif %} <|eot_id|> <|im_end|> </s> [INST]"}]
THINK = [{"role": "user", "content": "What is 2+2?"},
         {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
         {"role": "user", "content": "And 3+3?"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city",
          "parameters": {"type": "object", "properties": {
              "city": {"type": "string", "description": "City name, e.g. \u00c5lesund"},
              "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}]
TOOL_CHAT = [{"role": "user", "content": "What's the weather in Paris?"},
             {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
                 "name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
             {"role": "tool", "content": "{\"temperature\": 21}"},
             {"role": "assistant", "content": "It is 21 \u00b0C in Paris."}]
BAD = [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]

CHATS = {"U": U, "SU": SU, "SUAU": SUAU, "UAUA": UAUA, "UNI": UNI}


def cases():
    out = []
    for name in TOKENIZER_OF:
        for chat in CHATS:
            for agp in (True, False):
                out.append((name, chat, CHATS[chat], agp, None, {}))
    for name in ("qwen3", "deepseek", "qwen25", "stress"):
        for agp in (True, False):
            out.append((name, "THINK", THINK, agp, None, {}))
    for chat in ("WS", "UNI", "THINK", "TOOL_CHAT"):
        out.append(("pystr", chat, {"WS": WS, "UNI": UNI, "THINK": THINK, "TOOL_CHAT": TOOL_CHAT}[chat], True, None, {}))
    for name in ("llama31", "qwen25", "qwen3"):
        for agp in (True, False):
            out.append((name, "TOOL_CHAT", TOOL_CHAT, agp, TOOLS, {}))
    out.append(("llama31", "SUAU", SUAU, True, None, {"date_string": "02 Dec 2026"}))
    out.append(("llama31", "TOOL_CHAT", TOOL_CHAT, True, TOOLS, {"tools_in_user_message": False}))
    out.append(("qwen3", "THINK", THINK, True, None, {"enable_thinking": False}))
    out.append(("qwen3", "THINK", THINK, True, None, {"enable_thinking": True}))
    for name in ("llama2", "mistral", "gemma"):
        out.append((name, "BAD", BAD, True, None, {}))
    out.append(("gemma", "SU", SU, True, None, {}))   # gemma: system role not supported (already above; kept once more with kwargs)
    return out


def main():
    toks = {n: AutoTokenizer.from_pretrained(str(RES / "bpe" / n)) for n in set(TOKENIZER_OF.values())}
    lines = []
    for name, chat, msgs, agp, tools, kwargs in cases():
        tpl = (TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8")
        tok = toks[TOKENIZER_OF[name]]
        rec = {"template": name, "tokenizer": TOKENIZER_OF[name], "chat": chat, "messages": msgs, "add_generation_prompt": agp}
        if tools is not None:
            rec["tools"] = tools
        if kwargs:
            rec["kwargs"] = kwargs
        try:
            text = tok.apply_chat_template(msgs, chat_template=tpl, tokenize=False, add_generation_prompt=agp, tools=tools, **kwargs)
            ids = tok.apply_chat_template(msgs, chat_template=tpl, tokenize=True, add_generation_prompt=agp, tools=tools,
                                          return_dict=False, **kwargs)
            assert ids == tok(text, add_special_tokens=False)["input_ids"], name
            rec["rendered"] = text
            rec["ids"] = ids
        except jinja2.exceptions.TemplateError as e:
            rec["error"] = str(e)
        lines.append(rec)
    with open(RES / "chat" / "cases.jsonl", "w", encoding="utf-8") as f:
        for r in lines:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    (RES / "chat" / "VERSIONS").write_text(f"transformers {transformers.__version__}\njinja2 {jinja2.__version__}\n")
    print(f"{len(lines)} cases, {sum('error' in r for r in lines)} errors")


if __name__ == "__main__":
    main()
