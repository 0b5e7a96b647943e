// peft4j's JShell startup (bin/peft4j jshell, bin/peft4j run FILE.jsh): the DSL one import away.
import java.io.*;
import java.math.*;
import java.nio.file.*;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;
import tech.tablesaw.api.*;
import io.peft4j.*;
import io.peft4j.data.*;
import io.peft4j.eval.*;
import io.peft4j.peft.*;
import io.peft4j.report.*;
import io.peft4j.train.*;
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Sampling;
import io.peft4j.model.t5.T5Config;
import static io.peft4j.Peft.*;
