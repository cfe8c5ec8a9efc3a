package io.reside.manifest.processor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** Compiles Java sources with the manifest processor, as a module build would, and exposes what came out. */
final class Compilation {

    private final boolean success;
    private final List<String> errors;
    private final Path output;

    private Compilation(boolean success, List<String> errors, Path output) {
        this.success = success;
        this.errors = errors;
        this.output = output;
    }

    /** @param sources file name (e.g. {@code demo/DemoApi.java}) → source */
    static Compilation compile(Map<String, String> sources, String... options) {
        try {
            Path root = Files.createTempDirectory("reside-processor-test");
            Path src = root.resolve("src");
            Path out = root.resolve("classes");
            Files.createDirectories(out);
            List<Path> files = new ArrayList<>();
            for (Map.Entry<String, String> e : sources.entrySet()) {
                Path file = src.resolve(e.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, e.getValue());
                files.add(file);
            }
            JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            try (StandardJavaFileManager fm = compiler.getStandardFileManager(diagnostics, Locale.ROOT,
                    StandardCharsets.UTF_8)) {
                List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-classpath",
                        System.getProperty("java.class.path"), "-parameters"));
                args.addAll(List.of(options));
                JavaCompiler.CompilationTask task = compiler.getTask(null, fm, diagnostics, args, null,
                        fm.getJavaFileObjectsFromPaths(files));
                task.setProcessors(List.of(new ManifestProcessor()));
                boolean ok = task.call();
                List<String> errors = diagnostics.getDiagnostics().stream()
                        .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                        .map(d -> d.getMessage(Locale.ROOT)).toList();
                return new Compilation(ok, errors, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean success() {
        return success;
    }

    List<String> errors() {
        return errors;
    }

    Optional<String> resource(String path) {
        Path file = output.resolve(path);
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
