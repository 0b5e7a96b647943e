package io.peft4j.peft;

import io.peft4j.hf.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Malformed adapter_config.json files end in a FileFormatException naming the file and the problem. */
class AdapterConfigRobustnessTest {
    static final String OK = "{\"peft_type\":\"LORA\",\"task_type\":\"SEQ_2_SEQ_LM\",\"r\":4,\"lora_alpha\":8,\"target_modules\":[\"q\",\"v\"]}";

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{not json|not valid JSON",
        "[1, 2]|not a JSON object",
        "{\"peft_type\":\"LORA\",\"r\":\"eight\"}|'r' must be an integer",
        "{\"peft_type\":\"LORA\",\"r\":-3}|r = -3",
        "{\"peft_type\":\"LORA\",\"lora_alpha\":\"big\"}|'lora_alpha' must be a number",
        "{\"peft_type\":\"LORA\",\"lora_dropout\":1.5}|lora_dropout = 1.5",
        "{\"peft_type\":\"LORA\",\"target_modules\":5}|target_modules must be a list",
        "{\"peft_type\":\"LORA\",\"target_modules\":[\"q\",7]}|'target_modules' entries must be strings",
        "{\"peft_type\":\"LORA\",\"target_modules\":\"(bad\"}|does not compile",
        "{\"peft_type\":\"LORA\",\"layers_to_transform\":1.5}|layers_to_transform must be an integer",
        "{\"peft_type\":\"LORA\",\"rank_pattern\":{\"q\":\"x\"}}|rank_pattern['q'] must be an integer",
        "{\"peft_type\":\"LORA\",\"init_lora_weights\":\"corda\"}|init_lora_weights 'corda' is not supported",
        "{\"peft_type\":\"LORA\",\"init_lora_weights\":\"pissa_niter_x\"}|init_lora_weights 'pissa_niter_x' is invalid",
        "{\"peft_type\":\"LORA\",\"use_dora\":\"yes\"}|use_dora must be true or false",
        "{\"peft_type\":\"LORA\",\"bias\":\"all\"}|bias = 'all'",
        "{\"peft_type\":\"LORA\",\"use_rslora\":\"yes\"}|use_rslora must be true or false",
        "{\"peft_type\":\"LORA\",\"fan_in_fan_out\":\"yes\"}|fan_in_fan_out must be true or false",
        "{\"peft_type\":\"LORA\",\"layer_replication\":[[0,1]]}|'layer_replication'",
        "{\"peft_type\":\"LORA\",\"task_type\":\"TOKEN_CLS\"}|task_type is 'TOKEN_CLS'",
        "{\"peft_type\":\"IA3\"}|peft_type is 'IA3', expected \"LORA\"",
        "{\"r\":4}|'peft_type' must be a string"})
    void rejected(String json, String expected, @TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("adapter_config.json"), json);
        FileFormatException e = assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("adapter_config.json"), "names the file: " + e.getMessage());
    }

    @Test
    void deepNestingAndMissingFilesAreTypedErrors(@TempDir Path tmp) throws Exception {
        assertTrue(assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp)).getMessage().contains("missing"));
        Files.writeString(tmp.resolve("adapter_config.json"), "[".repeat(5000) + "]".repeat(5000));
        assertThrows(FileFormatException.class, () -> AdapterIO.readLoraConfig(tmp));
    }

    @Test
    void unknownKeysAreToleratedAndDefaultsFollowPeft(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("adapter_config.json"), OK.replace("}", ",\"brand_new_option\":{\"x\":1},\"use_dora\":false}"));
        LoraConfigJson.Parsed p = AdapterIO.readLoraConfig(tmp);
        assertEquals(java.util.List.of("brand_new_option"), p.unknownKeys());
        assertEquals(4, p.config().r());
        assertEquals(2.0, p.config().scalingFor("q"));
        Files.writeString(tmp.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\"}");
        LoraConfig d = AdapterIO.readLoraConfig(tmp).config();
        assertEquals(8, d.r());
        assertEquals(java.util.List.of("q", "v"), d.targets().patterns(), "PEFT's T5 default targets");
    }
}
