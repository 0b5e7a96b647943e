// Imports run when the peft4j kernel starts, one per line. A line that does not resolve (for
// example the DSL before it exists) is skipped with a log line; the kernel still starts.
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
import io.peft4j.model.GenerationConfig;
import io.peft4j.model.Sampling;
import io.peft4j.model.t5.T5Config;
import io.peft4j.*;
import io.peft4j.data.*;
import io.peft4j.eval.*;
import io.peft4j.peft.*;
import io.peft4j.report.*;
import io.peft4j.train.*;
import static io.peft4j.kernel.Display.*;
import static io.peft4j.Peft.*;
