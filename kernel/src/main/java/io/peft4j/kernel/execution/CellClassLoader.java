package io.peft4j.kernel.execution;

import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;
import jdk.jshell.spi.ExecutionControl.InternalException;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads the classes JShell compiles from cells, plus jars added with {@code %classpath}. Its parent
 * is the kernel's own class loader, so cells see the kernel's classpath (the DSL, Tablesaw, ND4J)
 * and objects they return are instances of the very classes the kernel renders. Cell classes get a
 * safe point at every loop back-edge ({@link LoopInstrumenter}, {@link CellInterrupts}).
 */
final class CellClassLoader extends URLClassLoader {

    /** Bytecode declared by JShell, defined lazily on first lookup. */
    private final Map<String, byte[]> declared = new ConcurrentHashMap<>();
    private final Map<String, Class<?>> loaded = new ConcurrentHashMap<>();
    private final Set<String> urls = ConcurrentHashMap.newKeySet();

    CellClassLoader(ClassLoader parent) {
        super("peft4j-cells", new URL[0], parent);
    }

    @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = declared.get(name);
        if (bytes != null) {
            byte[] safe = LoopInstrumenter.instrument(bytes); // loops in cells stop on interrupt
            return defineClass(name, safe, 0, safe.length);
        }
        return super.findClass(name);
    }

    /** The view JShell's execution control uses to install and find cell classes. */
    LoaderDelegate delegate() {
        return new LoaderDelegate() {
            @Override public void load(ClassBytecodes[] cbcs) throws ClassInstallException { CellClassLoader.this.load(cbcs); }
            @Override public void classesRedefined(ClassBytecodes[] cbcs) { CellClassLoader.this.classesRedefined(cbcs); }
            @Override public void addToClasspath(String path) throws InternalException { CellClassLoader.this.addToClasspath(path); }
            @Override public Class<?> findClass(String name) throws ClassNotFoundException {
                Class<?> klass = loaded.get(name);
                return klass != null ? klass : loadClass(name);
            }
        };
    }

    void load(ClassBytecodes[] cbcs) throws ClassInstallException {
        boolean[] installed = new boolean[cbcs.length];
        for (ClassBytecodes cbc : cbcs) declared.put(cbc.name(), cbc.bytecodes());
        int i = 0;
        try {
            for (ClassBytecodes cbc : cbcs) {
                Class<?> klass = loadClass(cbc.name());
                loaded.put(cbc.name(), klass);
                klass.getDeclaredMethods(); // force linkage so errors surface at load time
                installed[i++] = true;
            }
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ClassInstallException("cell class could not be loaded: " + e, installed);
        }
    }

    void classesRedefined(ClassBytecodes[] cbcs) {
        for (ClassBytecodes cbc : cbcs) declared.put(cbc.name(), cbc.bytecodes());
    }

    void addToClasspath(String path) throws InternalException {
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isBlank() || !urls.add(entry)) continue;
            try {
                addURL(Path.of(entry).toUri().toURL());
            } catch (MalformedURLException | IllegalArgumentException e) {
                throw new InternalException("bad classpath entry '" + entry + "': " + e.getMessage());
            }
        }
    }
}
