// peft4j's startup imports: the one list shared by `bin/peft4j jshell`, `bin/peft4j run FILE.jsh` and
// the Jupyter kernel (which adds `import static io.peft4j.kernel.display.Display.*;`). One import per
// line; every line must resolve (StartupImportsTest and the kernel's tests check it).
import java.io.*;
import java.math.*;
import java.net.*;
import java.nio.file.*;
import java.time.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.function.*;
import java.util.regex.*;
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
import io.peft4j.tools.DialogueGenerator;
import io.peft4j.demo.DemoSummary;
import static io.peft4j.Peft.*;
