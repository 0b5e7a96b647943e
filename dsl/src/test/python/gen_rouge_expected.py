#!/usr/bin/env python3
"""Generates the expected values for peft4j's ROUGE tests (dsl/src/test/resources/rouge/).

The oracle is a line-by-line re-statement of Google's rouge_score 0.1.2 scoring (tokenize.tokenize,
RougeScorer.score / score_multi, _score_ngrams, _score_lcs, _summary_level_lcs with _union_lcs and
_backtrack_norec, scoring.fmeasure), because the rouge_score package is not installable offline here;
stemming uses the real NLTK PorterStemmer (Debian python3-nltk 3.8, default NLTK_EXTENSIONS mode).

Usage (Debian python3 with python3-nltk and python3-numpy):
    /usr/bin/python3 dsl/src/test/python/gen_rouge_expected.py [--dialogsum DIR]

Outputs (small, committed):
    stems.tsv          word <TAB> NLTK stem (a few thousand words)
    rouge_cases.jsonl  one case per line: target (string or list), prediction, stem flag, expected scores
    percentiles.jsonl  numpy.percentile (linear) of a few arrays, for the bootstrap percentile helper
The word list is drawn from the DialogSum vocabulary when --dialogsum is given (only single words
are written, never dialogue text); the random ROUGE texts are built from those words only.
"""
import argparse
import collections
import json
import os
import random
import re

import numpy as np
from nltk.stem.porter import PorterStemmer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "rouge")
STEMMER = PorterStemmer()  # default mode: NLTK_EXTENSIONS, as rouge_score 0.1.2 constructs it


# ---- rouge_score 0.1.2, restated -------------------------------------------------------------

def tokenize(text, stemmer):
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    tokens = re.split(r"\s+", text)
    if stemmer:
        tokens = [stemmer.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if re.match(r"^[a-z0-9]+$", x)]


def fmeasure(precision, recall):
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def ngrams(tokens, n):
    c = collections.Counter()
    for i in range(len(tokens) - n + 1):
        c[tuple(tokens[i:i + n])] += 1
    return c


def score_ngrams(t, p):
    inter = 0
    for g in t:
        inter += min(t[g], p[g])
    tc = sum(t.values())
    pc = sum(p.values())
    precision = inter / max(pc, 1)
    recall = inter / max(tc, 1)
    return (precision, recall, fmeasure(precision, recall))


def lcs_table(ref, can):
    rows, cols = len(ref), len(can)
    t = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if ref[i - 1] == can[j - 1]:
                t[i][j] = t[i - 1][j - 1] + 1
            else:
                t[i][j] = max(t[i - 1][j], t[i][j - 1])
    return t


def score_lcs(t, p):
    if not t or not p:
        return (0, 0, 0)
    lcs = lcs_table(t, p)[-1][-1]
    precision = lcs / len(p)
    recall = lcs / len(t)
    return (precision, recall, fmeasure(precision, recall))


def backtrack_norec(t, ref, can):
    i, j = len(ref), len(can)
    out = []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            out.insert(0, i - 1)
            i -= 1
            j -= 1
        elif t[i][j - 1] > t[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return out


def union_lcs(ref, c_list):
    lcs_list = [backtrack_norec(lcs_table(ref, c), ref, c) for c in c_list]
    return [ref[i] for i in sorted(list(set().union(*lcs_list)))]


def summary_level_lcs(ref_sent, can_sent):
    if not ref_sent or not can_sent:
        return (0, 0, 0)
    m = sum(map(len, ref_sent))
    n = sum(map(len, can_sent))
    if not n or not m:
        return (0, 0, 0)
    cr = collections.Counter()
    cc = collections.Counter()
    for s in ref_sent:
        cr.update(s)
    for s in can_sent:
        cc.update(s)
    hits = 0
    for r in ref_sent:
        for tok in union_lcs(r, can_sent):
            if cc[tok] > 0 and cr[tok] > 0:
                hits += 1
                cc[tok] -= 1
                cr[tok] -= 1
    recall = hits / m
    precision = hits / n
    return (precision, recall, fmeasure(precision, recall))


TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def score(target, prediction, use_stemmer):
    st = STEMMER if use_stemmer else None
    tt = tokenize(target, st)
    pt = tokenize(prediction, st)
    res = {}
    for rt in TYPES:
        if rt == "rougeL":
            res[rt] = score_lcs(tt, pt)
        elif rt == "rougeLsum":
            def sents(text):
                return [x for x in text.split("\n") if len(x)]
            res[rt] = summary_level_lcs([tokenize(s, st) for s in sents(target)],
                                        [tokenize(s, st) for s in sents(prediction)])
        else:
            n = int(rt[5:])
            res[rt] = score_ngrams(ngrams(tt, n), ngrams(pt, n))
    return res


def score_multi(targets, prediction, use_stemmer):
    all_scores = [score(t, prediction, use_stemmer) for t in targets]
    best = {}
    for rt in TYPES:
        idx = int(np.argmax([s[rt][2] for s in all_scores]))
        best[rt] = all_scores[idx][rt]
    return best


# ---- inputs ------------------------------------------------------------------------------------

EDGE_WORDS = """sky skies dying lying tying news innings inning outings outing cannings canning howe proceed
exceed succeed dies died ties tied lies lied spied flies flied cries cried happy enjoy enjoyment spy fly
try tries tried caresses ponies caress cats feed agreed plastered bled motoring sing conflated troubled
sized hopping tanned falling hissing fizzed failing filing happily relational conditional rational
valenci hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization
predication operator feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti
triplicate formative formalize electriciti electrical hopeful goodness revival allowance inference
airliner gyroscopic adjustable defensible irritant replacement adjustment dependent adoption homologou
communism activate angulariti homologous effective bowdlerize probate rate cease controll roll
generalizations oscillators archaeology geology theology philology analogies fully hopefully
beautifully carefully yyyy yyyyy ayyy syzygy toy toys boys says played playing eyed dyed agreed
1990s 2nd mp3s abc123 ing ings ed eds ied eed eeds ies sses ss""".split() + [
    "y" * k for k in (6, 7, 50, 51, 300, 301)] + ["ay" * 40, "bey" * 30]


def dialogsum_vocab(folder):
    c = collections.Counter()
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                for k in ("dialogue", "summary"):
                    if isinstance(d.get(k), str):
                        c.update(re.findall(r"[a-z0-9]+", d[k].lower()))
    return c


FALLBACK_WORDS = """the a to of and in is it you that he was for on are with as i his they be at one have
this from or had by word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing see
him two has look more day could go come did number sound no most people my over know water than call first
who may down side been now find any new work part take get place made live where after back little only
round man year came show every good me give our under name very through just form sentence great think say
help low line differ turn cause much mean before move right boy old too same tell does set three want air
well also play small end put home read hand port large spell add even land here must big high such follow
act why ask men change went light kind off need house picture try us again animal point mother world near
build self earth father head stand own page should country found answer school grow study still learn plant
cover food sun four between state keep eye never last let thought city tree cross farm hard start might story
saw far sea draw left late run while press close night real life few north open seem together next white
children begin got walk example ease paper group always music those both mark often letter until mile river
car feet care second book carry took science eat room friend began idea fish mountain stop once base hear
horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though feel
talk bird soon body dog family direct pose leave song measure door product black short numeral class wind
question happen complete ship area half rock order fire south problem piece told knew pass since top whole
king space heard best hour better true during hundred five remember step early hold west ground interest
reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay against
pattern slow center love person money serve appear road map rain rule govern pull cold notice voice unit
power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest
correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay
wheel full force blue object decide surface deep moon island foot system busy test record boat common gold
possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow
tire bring yes distant fill east paint language among""".split()


def pick_words(vocab, rng, k):
    """A varied word list: words hitting each Porter suffix rule first, then a seeded random fill."""
    words = sorted(w for w in vocab if re.fullmatch(r"[a-z][a-z0-9]*", w) and len(w) >= 3)
    suffixes = ["sses", "ies", "ss", "s", "eed", "ied", "ed", "ing", "at", "bl", "iz", "y", "ational",
                "tional", "enci", "anci", "izer", "bli", "alli", "entli", "eli", "ousli", "ization",
                "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti",
                "fulli", "logi", "icate", "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance",
                "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "sion", "tion", "ou",
                "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "ly", "ies", "yed", "ying"]
    chosen = set()
    for suf in suffixes:
        hits = [w for w in words if w.endswith(suf)]
        rng.shuffle(hits)
        chosen.update(hits[:40])
    rest = [w for w in words if w not in chosen]
    rng.shuffle(rest)
    for w in rest:
        if len(chosen) >= k:
            break
        chosen.add(w)
    return sorted(chosen)


PUNCT = [",", ".", "!", "?", ";", ":", "'s", "n't", "-", "--", "(", ")", "\"", "#", "$", "%", "&", "/"]
UNICODE_BITS = ["café", "naïve", "Zürich", "İstanbul", "\u212Aelvin", "ﬁne", "straße", "Ελλάδα", "東京",
                "😀", "\u00a0", "\u2003", "\t", "\r\n", "é", "Å", "ǅ", "\u0130", "ß"]


def random_text(rng, words, n_words, lines=1, punct=0.15, caps=0.1, digits=0.05, uni=0.0, repeat=0.0):
    out = []
    prev = None
    for i in range(n_words):
        if prev is not None and rng.random() < repeat:
            w = prev
        elif rng.random() < digits:
            w = str(rng.choice([rng.randint(0, 9), rng.randint(10, 99), rng.randint(1900, 2030)]))
        elif rng.random() < uni:
            w = rng.choice(UNICODE_BITS)
        else:
            w = rng.choice(words)
        if rng.random() < caps:
            w = w.capitalize() if rng.random() < 0.7 else w.upper()
        out.append(w)
        prev = w
        if rng.random() < punct:
            out.append(rng.choice(PUNCT))
    if lines > 1 and out:
        cuts = sorted(rng.sample(range(1, max(2, len(out))), min(lines - 1, max(1, len(out) - 1))))
        parts, last = [], 0
        for c in cuts:
            parts.append(" ".join(out[last:c]))
            last = c
        parts.append(" ".join(out[last:]))
        return "\n".join(parts)
    return " ".join(out)


def mutate(rng, text, words, rate):
    """A prediction that shares material with the reference: drop, swap and replace some words."""
    lines = text.split("\n")
    res = []
    for line in lines:
        toks = line.split(" ")
        new = []
        for t in toks:
            r = rng.random()
            if r < rate / 3:
                continue
            if r < 2 * rate / 3:
                new.append(rng.choice(words))
            elif r < rate:
                new.extend([t, rng.choice(words)])
            else:
                new.append(t)
        if len(new) > 3 and rng.random() < 0.3:
            i = rng.randrange(len(new) - 1)
            new[i], new[i + 1] = new[i + 1], new[i]
        res.append(" ".join(new))
    if rng.random() < 0.2:
        rng.shuffle(res)
    return "\n".join(res)


def handmade_cases():
    c = []
    add = lambda t, p, tag: c.append((tag, t, p))
    add("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log.", "readme")
    add("", "", "both-empty")
    add("", "some prediction here", "empty-reference")
    add("a reference that exists", "", "empty-prediction")
    add("   \n\n  ", "... !!! ???", "no-tokens")
    add("!!!", "word", "punct-only-reference")
    add("one two three", "one two three", "identical")
    add("one", "one", "single-token")
    add("one two", "three four", "disjoint")
    add("the the the the the", "the the", "repeats-clipped")
    add("the cat the cat the cat", "the cat the dog the cat the", "repeated-bigrams")
    add("a b a b a b a", "b a b a b a b", "alternating")
    add("Café naïve Zürich İstanbul \u212Aelvin straße", "cafe naive zurich istanbul kelvin strasse", "unicode-lowercase")
    add("東京 😀 Ελλάδα", "東京 😀 Ελλάδα", "unicode-no-ascii")
    add("It's 3:45pm on 2023-05-17; call 555-0100!", "It is 3 45 pm on 2023 05 17, call 5550100", "numbers-punct")
    add("e-mail,e.g.,U.S.A.--ok", "email eg usa ok", "glued-punct")
    add("ONE Two tHrEe", "one two three", "case")
    add("dying lying tying skies news innings", "die lie tie sky news inning", "irregular")
    add("The dogs were running happily through the generalizations",
        "A dog runs happy through generalization", "stemming")
    add("abc", "abcd", "short-vs-long-token")
    add("line one is here\nline two is there\nline three", "line two is there\nline one is here", "lsum-reorder")
    add("a b c\nd e f", "a b c d e f", "lsum-vs-one-line")
    add("a b c d e f", "a b c\nd e f", "lsum-one-line-ref")
    add("a a a\nb b b", "a b\na b\na b", "lsum-cap-hits")
    add("x y x y\ny x y x", "x y\ny x", "lsum-equal-lcs-choice")
    add("the cat sat on the mat\nthe dog sat on the log",
        "the cat sat\non the mat the dog\nsat on the log", "lsum-split-differently")
    add("first line\n\n\nsecond line\n", "\nfirst line\nsecond line\n\n", "lsum-empty-lines")
    add("windows line\r\nends here\r\n", "windows line\nends here", "crlf")
    add("tab\tseparated\twords", "tab separated words", "tabs")
    add("\u00a0nbsp\u00a0words\u2003em", "nbsp words em", "unicode-spaces")
    add("1 2 3 4 5 6 7 8 9 10", "10 9 8 7 6 5 4 3 2 1", "numbers-reversed")
    add("#Person1# asks #Person2# to help.", "#Person2# helps #Person1#.", "dialogsum-tags")
    return c


MULTI = [
    (["the cat sat on the mat", "a cat was sitting on a mat", "there is a cat"], "the cat is on the mat"),
    (["same text", "same text"], "same text"),
    (["", "something"], "something else"),
    (["alpha beta", "gamma delta"], "epsilon"),
    (["x y z\na b c", "a b c x y z", "z y x"], "a b c\nx y z"),
    (["one two three four", "one two", "three four one two"], "one two three four one two"),
    (["the reference one", "The Reference, two!"], "reference two the one"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dialogsum", default="/work/shared/datasets/dialogsum")
    ap.add_argument("--seed", type=int, default=20240517)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(OUT, exist_ok=True)

    vocab = dialogsum_vocab(args.dialogsum) if os.path.isdir(args.dialogsum) else collections.Counter(FALLBACK_WORDS)
    stem_words = sorted(set(pick_words(vocab, rng, 4000)) | set(EDGE_WORDS))
    with open(os.path.join(OUT, "stems.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for w in stem_words:
            f.write(w + "\t" + STEMMER.stem(w) + "\n")

    # the random texts use frequent words plus inflection-rich ones (so stemming matters)
    common = [w for w, _ in vocab.most_common(1500) if re.fullmatch(r"[a-z]+", w)]
    inflected = [w for w in stem_words if re.fullmatch(r"[a-z]+", w)]
    words = common + inflected

    cases = []
    for tag, t, p in handmade_cases():
        for stem in (False, True):
            cases.append({"tag": tag, "target": t, "prediction": p, "stem": stem})
    for targets, p in MULTI:
        for stem in (False, True):
            cases.append({"tag": "multi", "target": targets, "prediction": p, "stem": stem})
    # long texts (hundreds of tokens, many lines)
    for i in range(6):
        t = random_text(rng, words, rng.randint(300, 700), lines=rng.randint(1, 30), repeat=0.05)
        cases.append({"tag": "long", "target": t, "prediction": mutate(rng, t, words, 0.3), "stem": i % 2 == 0})
    # random: short, DialogSum-summary-sized, with and without shared material, lines, unicode, repeats
    for i in range(400):
        n = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30, 45, 60])
        t = random_text(rng, words if rng.random() < 0.7 else words[:60], n, lines=rng.choice([1, 1, 1, 2, 3, 5]),
                        uni=rng.choice([0.0, 0.0, 0.05]), repeat=rng.choice([0.0, 0.0, 0.1, 0.3]))
        r = rng.random()
        if r < 0.6:
            p = mutate(rng, t, words[:300], rng.choice([0.0, 0.1, 0.3, 0.6]))
        elif r < 0.8:
            p = random_text(rng, words[:80], rng.choice([0, 3, 10, 25]), lines=rng.choice([1, 2, 4]))
        else:
            p = t.replace("\n", " ") if rng.random() < 0.5 else t.replace(" ", "\n", 3)
        if rng.random() < 0.15:
            ts = [t] + [mutate(rng, t, words, 0.5) for _ in range(rng.randint(1, 3))]
            rng.shuffle(ts)
            target = ts
        else:
            target = t
        cases.append({"tag": "random", "target": target, "prediction": p, "stem": rng.random() < 0.5})

    with open(os.path.join(OUT, "rouge_cases.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for i, c in enumerate(cases):
            if isinstance(c["target"], list):
                res = score_multi(c["target"], c["prediction"], c["stem"])
            else:
                res = score(c["target"], c["prediction"], c["stem"])
            c = dict(id=i, **c)
            c["expected"] = {k: [float(x) for x in v] for k, v in res.items()}
            f.write(json.dumps(c, ensure_ascii=False) + "\n")

    with open(os.path.join(OUT, "percentiles.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        nrng = np.random.default_rng(7)
        for size in (1, 2, 3, 10, 999, 1000):
            vals = nrng.random(size).tolist()
            qs = [2.5, 50.0, 97.5, 0.0, 100.0, 33.3]
            f.write(json.dumps({"values": vals, "q": qs,
                                "expected": [float(np.percentile(np.array(vals), q)) for q in qs]}) + "\n")
    print(len(stem_words), "stems,", len(cases), "rouge cases ->", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
