package io.peft4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The notebooks' setting from environment variables. */
class TutorialTest {
    @Test
    void ciPresetPicksTheSmallValue() {
        assertTrue(new Tutorial(Map.of("PEFT4J_CI", "1")).ci());
        assertTrue(new Tutorial(Map.of("PEFT4J_CI", "true")).ci());
        assertFalse(new Tutorial(Map.of("PEFT4J_CI", "0")).ci());
        assertFalse(new Tutorial(Map.of()).ci());
        assertEquals(64, new Tutorial(Map.of("PEFT4J_CI", "1")).pick(64, 1000));
        assertEquals(1000, new Tutorial(Map.of()).pick(64, 1000));
    }

    @Test
    void dataComesFromDialogsumVariableElseTheProjectHome(@TempDir Path dir) throws Exception {
        Path ds = Files.createDirectories(dir.resolve("dialogsum"));
        assertEquals(ds, new Tutorial(Map.of("PEFT4J_DIALOGSUM", ds.toString())).dataDir());
        Path home = Files.createDirectories(dir.resolve("home/datasets/dialogues")).getParent().getParent();
        assertEquals(home.resolve("datasets/dialogues"), new Tutorial(Map.of("PEFT4J_HOME", home.toString())).dataDir());
        var missing = new Tutorial(Map.of("PEFT4J_DIALOGSUM", dir.resolve("nope").toString()));
        IllegalStateException e = assertThrows(IllegalStateException.class, missing::dataDir);
        assertTrue(e.getMessage().contains("PEFT4J_DIALOGSUM") && e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void modelFolderWithoutConfigIsAClearError(@TempDir Path dir) {
        var t = new Tutorial(Map.of("PEFT4J_MODEL", dir.toString()));
        assertTrue(t.hasModelFolder());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::model);
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertFalse(new Tutorial(Map.of("PEFT4J_MODEL", " ")).hasModelFolder());
    }

    @Test
    void sampleTakesNOrAll() {
        var d = TinyModels.dialogues("t", 10, 1);
        assertEquals(4, Tutorial.sample(d, 4, 1).size());
        assertEquals(10, Tutorial.sample(d, 50, 1).size());
        assertThrows(IllegalArgumentException.class, () -> Tutorial.sample(d, 0, 1));
    }
}
