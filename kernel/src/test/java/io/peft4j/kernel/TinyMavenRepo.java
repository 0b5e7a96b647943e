package io.peft4j.kernel;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A Maven local repository made on the spot for the {@code %maven} tests: {@code test.peft4j:hello:1.0}
 * (class {@code tinyhello.Hello}) depends on {@code test.peft4j:greeting:1.0} (class {@code tinygreet.Greeting}),
 * so resolving hello must bring greeting too. Nothing is downloaded.
 */
final class TinyMavenRepo {
    private TinyMavenRepo() {}

    static Path create(Path repo) throws Exception {
        artifact(repo, "greeting", "package tinygreet; public class Greeting { public static String word() { return \"hello from greeting\"; } }",
            "tinygreet/Greeting", null, "");
        artifact(repo, "hello", "package tinyhello; public class Hello { public static String greet(String who) { return tinygreet.Greeting.word() + \", \" + who; } }",
            "tinyhello/Hello", repo.resolve("test/peft4j/greeting/1.0/greeting-1.0.jar"),
            "<dependencies><dependency><groupId>test.peft4j</groupId><artifactId>greeting</artifactId><version>1.0</version></dependency></dependencies>");
        return repo;
    }

    private static void artifact(Path repo, String id, String source, String classPath, Path dependencyJar, String deps) throws Exception {
        Path dir = repo.resolve("test/peft4j/" + id + "/1.0");
        Files.createDirectories(dir);
        Path src = Files.createTempDirectory("tiny-src");
        Path out = Files.createTempDirectory("tiny-classes");
        Path file = src.resolve(classPath + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = dependencyJar == null ? javac.run(null, null, null, "-d", out.toString(), file.toString())
            : javac.run(null, null, null, "-cp", dependencyJar.toString(), "-d", out.toString(), file.toString());
        if (rc != 0) throw new IllegalStateException("javac failed for " + id);
        try (OutputStream os = Files.newOutputStream(dir.resolve(id + "-1.0.jar")); JarOutputStream jar = new JarOutputStream(os);
             Stream<Path> classes = Files.walk(out)) {
            for (Path c : classes.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(out.relativize(c).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(c));
                jar.closeEntry();
            }
        }
        Files.writeString(dir.resolve(id + "-1.0.pom"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>"
            + "<groupId>test.peft4j</groupId><artifactId>" + id + "</artifactId><version>1.0</version>" + deps + "</project>\n");
    }
}
