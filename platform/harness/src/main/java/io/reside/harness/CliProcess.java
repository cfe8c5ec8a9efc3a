package io.reside.harness;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.reside.testing.JvmProcesses;
import io.reside.testing.ProcessSignals;

/**
 * The {@code reside} command run as its own process, as a person runs it from the repository's {@code ./reside}
 * launcher (the same JVM options), for tests and the {@code dev} benchmark: what it prints is collected, a long-running
 * {@code reside dev} is awaited by its output and stopped with SIGINT as Ctrl-C would, and the processes it left are
 * found by the state directory their command lines name. {@link #close()} kills it if it still runs.
 */
public final class CliProcess implements AutoCloseable {

    /** The JVM options of the {@code ./reside} launcher. */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    private final Process process;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();
    private final Thread[] readers;

    private CliProcess(Process process) {
        this.process = process;
        this.readers = new Thread[] { reader(process.getInputStream(), out, "out"), reader(process.getErrorStream(),
                err, "err") };
    }

    /**
     * Starts {@code reside <args>} and returns at once.
     *
     * @param cliApp the CLI's packaged application ({@code platform/cli/target/quarkus-app})
     * @param home the repository ({@code reside.home}: where {@code reside dev} finds the replicas it runs)
     * @param env more environment (and entries with a null value removed from it)
     */
    public static CliProcess start(Path cliApp, Path home, Map<String, String> env, String... args) {
        Path jar = requireNonNull(cliApp, "cliApp").resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build the CLI first (./mvnw -B package -pl "
                    + "platform/cli -am)");
        }
        List<String> command = new ArrayList<>();
        command.add(JvmProcesses.javaBinary());
        command.addAll(JVM_OPTIONS);
        command.add("-Dreside.home=" + home.toAbsolutePath());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("TELEGRAM_BOT_TOKEN"); // never the machine's real bot
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        try {
            return new CliProcess(pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** What a short command ended with. */
    public record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs {@code reside <args>} to its end (at most {@code timeout}, then it is killed and this throws). */
    public static Result run(Path cliApp, Path home, Map<String, String> env, Duration timeout, String... args) {
        try (CliProcess p = start(cliApp, home, env, args)) {
            int code = p.awaitExit(timeout);
            return new Result(code, p.out(), p.err());
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Standard output so far. */
    public String out() {
        synchronized (out) {
            return out.toString();
        }
    }

    /** Standard error so far (progress, warnings, errors). */
    public String err() {
        synchronized (err) {
            return err.toString();
        }
    }

    /**
     * Waits until standard output contains {@code marker}.
     *
     * @throws IllegalStateException when the process exits first or the time is up, with everything it printed
     */
    public void awaitOutput(String marker, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!out().contains(marker)) {
            if (!process.isAlive()) {
                join();
                if (out().contains(marker)) {
                    return;
                }
                throw new IllegalStateException("reside exited with " + process.exitValue() + " before printing '"
                        + marker + "'\n--- stdout\n" + out() + "--- stderr\n" + err());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("reside did not print '" + marker + "' within " + timeout
                        + "\n--- stdout\n" + out() + "--- stderr\n" + err());
            }
            sleep(50);
        }
    }

    /** SIGINT, as Ctrl-C in its terminal sends. */
    public void interrupt() {
        ProcessSignals.send(process.toHandle(), "INT");
    }

    /** Waits for the process to end; kills it and throws if it does not within {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("reside did not exit within " + timeout + "\n--- stdout\n" + out()
                        + "--- stderr\n" + err());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted", e);
        }
        join();
        return process.exitValue();
    }

    /**
     * The live processes whose command line names {@code dir} (a {@code reside dev} state directory: etcd's data,
     * the registry's configuration, Alpha's state, the replicas' unpacked images all live there).
     */
    public static List<ProcessHandle> processesNaming(Path dir) {
        String path = dir.toAbsolutePath().toString();
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).filter(p -> p.info().commandLine().map(
                c -> c.contains(path)).orElse(false)).toList();
    }

    /** The resident set size of a process in KiB, from {@code /proc/<pid>/status} (0 when it is gone). */
    public static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        join();
    }

    private void join() {
        for (Thread t : readers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Thread reader(InputStream in, StringBuilder into, String name) {
        Thread t = new Thread(() -> {
            char[] buf = new char[8192];
            try (var reader = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
                int n;
                while ((n = reader.read(buf)) >= 0) {
                    synchronized (into) {
                        into.append(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "reside-cli-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
