package io.peft4j.eval;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PorterStemmerTest {

    private final PorterStemmer stemmer = new PorterStemmer();

    /** stems.tsv: NLTK 3.8 PorterStemmer().stem(word) for ~4,100 words (see src/test/python/gen_rouge_expected.py). */
    @Test void matchesNltkOnGoldenWords() throws IOException {
        List<String> mismatches = new ArrayList<>();
        int n = 0;
        try (InputStream in = getClass().getResourceAsStream("/rouge/stems.tsv");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] kv = line.split("\t", -1);
                n++;
                String got = stemmer.stem(kv[0]);
                if (!got.equals(kv[1])) mismatches.add(kv[0] + ": expected " + kv[1] + ", got " + got);
            }
        }
        assertTrue(n > 4000, "golden file too small: " + n);
        assertEquals(List.of(), mismatches, mismatches.size() + " of " + n + " stems differ from NLTK");
    }

    @Test void irregularFormsAndNltkExtensions() {
        assertEquals("die", stemmer.stem("dying"));
        assertEquals("sky", stemmer.stem("skies"));
        assertEquals("news", stemmer.stem("news"));
        assertEquals("die", stemmer.stem("dies"));   // 4-letter ies -> ie
        assertEquals("die", stemmer.stem("died"));   // 4-letter ied -> ie
        assertEquals("spi", stemmer.stem("spied"));
        assertEquals("enjoy", stemmer.stem("enjoy")); // y after a vowel stays
        assertEquals("happi", stemmer.stem("happy"));
        assertEquals("is", stemmer.stem("is"));       // <= 2 letters untouched
    }

    @Test void lowercasesInputButLooksUpIrregularFormsAsGiven() {
        assertEquals("run", stemmer.stem("Running"));
        // NLTK tests the pool with the word as given: "Dying" is not in it, so it is stemmed normally
        assertEquals("dy", stemmer.stem("Dying"));
    }

    @Test void longRunsOfYDoNotOverflow() {
        // NLTK itself recurses once per y and fails with RecursionError here; we stem like shorter runs do
        String s = "y".repeat(100_000);
        assertEquals("y".repeat(99_999) + "i", stemmer.stem(s));
    }
}
