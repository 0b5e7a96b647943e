package io.peft4j.hf.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Year;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Templates come from strangers' files: no Java, file or network access, bounded time and sizes,
 * and every failure a clear {@link ChatTemplateException}.
 */
class ChatTemplateSandboxTest {
    static final List<ChatTemplate.Message> CHAT = List.of(new ChatTemplate.Message("user", "hi"));

    static String render(String template) { return ChatTemplate.of(template).render(CHAT, false); }

    static ChatTemplateException fails(String template) {
        return assertThrows(ChatTemplateException.class, () -> render(template), template);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ messages.getClass() }}",
        "{{ messages[0].getClass().forName('java.lang.Runtime') }}",
        "{{ 'x'.getClass() }}",
        "{{ 'x'.getBytes() }}",
        "{{ messages.append(1) }}",
        "{% set x = messages.pop() %}",
        "{{ messages[0].put('role', 'x') }}",
        "{{ messages[0].clear() }}",
        "{% for m in messages %}{{ loop.getClass() }}{% endfor %}",
    })
    void noJavaMethodIsReachable(String template) {
        ChatTemplateException e = fails(template);
        assertFalse(e.getMessage().contains("java.lang.Runtime@"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ ''.__class__ }}{{ ''.__class__.__mro__ }}{{ messages.__class__ }}{{ cycler }}{{ self }}{{ lipsum }}{{ config }}",
        "{{ messages[0].class }}{{ messages.class }}{{ 'x'.class }}{{ messages[0].role.bytes }}",
    })
    void javaAndPythonInternalsAreUndefined(String template) {
        assertEquals("", render(template));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{% include '/etc/passwd' %}",
        "{% import '/etc/passwd' as p %}",
        "{% from '/etc/passwd' import x %}",
        "{% extends '/etc/passwd' %}",
        "{{ '/etc/passwd' | fromjson }}",
        "{{ 'a: 1' | fromyaml }}",
        "{{ '{{ 7*7 }}' | render }}",
        "{{ 'x' | md5 }}",
        "{{ today() }}",
        "{{ type(messages) }}",
    })
    void noFilesAndNoEngineExtras(String template) {
        ChatTemplateException e = fails(template);
        assertTrue(e.getMessage().contains("not available") || e.getMessage().contains("cannot load"), e.getMessage());
    }

    @Test void valuesAreNeverReRendered() {
        List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("user", "{{ 7*7 }}{% raise_exception('x') %}"));
        assertEquals("{{ 7*7 }}{% raise_exception('x') %}", ChatTemplate.of("{{ messages[0].content }}").render(chat, false));
    }

    @Test void raiseExceptionEndsTheRenderWithItsMessage() {
        ChatTemplateException e = fails("before{{ raise_exception('Conversation roles must alternate') }}after");
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("template raised: Conversation roles must alternate", e.getMessage());
    }

    @Test void syntaxErrorsNameTheLine() {
        ChatTemplateException e = fails("line one\n{% if %}x{% endif %}");
        assertEquals(ChatTemplateException.Kind.SYNTAX, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertTrue(fails("{{ messages | no_such_filter }}").getMessage().contains("no_such_filter"));
        fails("{% for m in messages %}unclosed");
    }

    @Test void runawayLoopsTimeOutAndTheWorkerStops() throws Exception {
        ChatTemplate t = ChatTemplate.of("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done")
            .withLimits(new ChatTemplate.Limits(Duration.ofMillis(300), 1_000_000, 1_000_000, 100_000, 100_000, 32));
        long t0 = System.nanoTime();
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CHAT, false));
        double s = (System.nanoTime() - t0) / 1e9;
        assertEquals(ChatTemplateException.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(s < 5, "took " + s + " s");
        for (int k = 0; k < 50 && workerAlive(); k++) Thread.sleep(100);
        assertFalse(workerAlive(), "the render thread kept running after its deadline");
    }

    static boolean workerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals("chat-template") && th.isAlive());
    }

    @Test void sizesAreBounded() {
        ChatTemplate.Limits small = new ChatTemplate.Limits(Duration.ofSeconds(5), 10_000, 10_000, 1_000, 1_000, 16);
        assertEquals(ChatTemplateException.Kind.TOO_BIG, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("{{ range(1000000000) | length }}").withLimits(small).render(CHAT, false)).kind());
        assertEquals(ChatTemplateException.Kind.TOO_BIG, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("{{ 'x' * 1000000000 }}").withLimits(small).render(CHAT, false)).kind());
        assertEquals(ChatTemplateException.Kind.TOO_BIG, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("{% for i in range(1000) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}").withLimits(small).render(CHAT, false)).kind());
        assertEquals(ChatTemplateException.Kind.TOO_BIG, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("{{ 'ab' | center(100000000) }}").withLimits(small).render(CHAT, false)).kind());
        ChatTemplateException deep = assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").withLimits(small).render(CHAT, false));
        assertTrue(deep.getMessage().toLowerCase().contains("recursion") || deep.getMessage().toLowerCase().contains("depth"), deep.getMessage());
    }

    @Test void limitsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new ChatTemplate.Limits(Duration.ZERO, 1, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ChatTemplate.Limits(Duration.ofSeconds(1), 0, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("maxOutputChars 0"), e.getMessage());
    }

    @Test void pythonPrintingAndGlobals() {
        assertEquals("[1, 'a', None, True, 2.5, {'k': 'v'}] False 1e+20 0.0001 1e-05",
            render("{{ [1, 'a', none, true, 2.5, {'k': 'v'}] }} {{ false }} {{ 1e20 }} {{ 0.0001 }} {{ 0.00001 }}"));
        assertEquals(String.valueOf(Year.now().getValue()), render("{{ strftime_now('%Y') }}"));
        assertEquals("{\"a\": [1, 2], \"b\": null}|{\n  \"a\": 1\n}", render("{{ {'a': [1, 2], 'b': none} | tojson }}|{{ {'a': 1} | tojson(indent=2) }}"));
        assertEquals("x y z", render("{{ dict(a='x', b='y').values() | join(' ') }} z"));
    }

    @Test void concurrentRendersAgree() throws Exception {
        ChatTemplate t = ChatTemplate.of(Files.readString(Path.of(getClass().getResource("/tokenizer/chat/templates/qwen3.jinja").toURI())));
        List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("system", "s"), new ChatTemplate.Message("user", "u"),
            new ChatTemplate.Message("assistant", "<think>\nr\n</think>\n\na"), new ChatTemplate.Message("user", "v"));
        String expected = t.render(chat, true);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> fs = new java.util.ArrayList<>();
            for (int k = 0; k < 4; k++) fs.add(pool.submit(() -> {
                for (int r = 0; r < 25; r++) if (!expected.equals(t.render(chat, true))) return false;
                return true;
            }));
            for (var f : fs) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test void pythonStringMethods() {
        assertEquals("They'Re Bill'S Friends From The Uk|Hello world|2.0 2.0 3.0",
            render("{{ \"they're bill's friends from the UK\".title() }}|{{ 'hELLO WORLD'.capitalize() }}|{{ 2.5 | round }} {{ 1.5 | round }} {{ 2.6 | round }}"));
        // values from CPython 3: ' a b  c '.split(None, 1), 'a b c'.rsplit(' ', 1), '  a b  c  '.rsplit(None, 1), ...
        assertEquals("['a', 'b  c '] ['a b', 'c'] ['  a b', 'c'] x|-|y 3 -1 True",
            render("{{ ' a b  c '.split(None, 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ '  a b  c  '.rsplit(None, 1) }} "
                + "{{ 'x-y'.partition('-') | join('|') }} {{ 'abcabc'.find('a', 1) }} {{ 'abc'.find('z') }} {{ 'Ab1'.isalnum() }}"));
    }

    @Test void emptyConversationAndBadMessagesAreInputErrors() {
        assertEquals(ChatTemplateException.Kind.INPUT, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("x").render(List.of(), true)).kind());
        assertEquals(ChatTemplateException.Kind.INPUT, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("x").render(List.of("not a message"), true)).kind());
        assertEquals(ChatTemplateException.Kind.INPUT, assertThrows(ChatTemplateException.class,
            () -> ChatTemplate.of("x").render(List.of(Map.of("role", new Object())), true)).kind());
    }

    @Test void loadsFromTheFolderAsTransformersDoes(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        assertTrue(ChatTemplate.load(tmp).isEmpty());
        Files.writeString(tmp.resolve("tokenizer_config.json"),
            "{\"bos_token\": {\"content\": \"<s>\"}, \"chat_template\": [{\"name\": \"default\", \"template\": \"D{{ bos_token }}\"},"
                + " {\"name\": \"tool_use\", \"template\": \"T{{ tools | length }}\"}]}");
        ChatTemplate t = ChatTemplate.load(tmp).orElseThrow();
        assertEquals(List.of("default", "tool_use"), t.names());
        assertEquals("D<s>", t.render(CHAT, false));
        assertEquals("T1", t.render(CHAT, false, List.of(Map.of("name", "f")), Map.of()));
        Files.writeString(tmp.resolve("chat_template.jinja"), "F{{ messages | length }}\n");
        assertEquals("F1", ChatTemplate.load(tmp).orElseThrow().render(CHAT, false));
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"chat_template\": 7}");
        io.peft4j.hf.TokenizerFileException e = assertThrows(io.peft4j.hf.TokenizerFileException.class, () -> ChatTemplate.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
    }
}
