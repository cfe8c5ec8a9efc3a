package io.reside.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code main} class run in a separate JVM with the test's class path, for tests of what crosses processes
 * (contention between processes, a holder killed or frozen inside a lock). Its standard output and error are
 * collected line by line (and echoed with a {@code [child pid]} prefix); its standard input can be written to.
 * {@link #close()} kills it if it is still alive.
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final String label;
    private final List<String> lines = new ArrayList<>();
    private final Writer stdin;
    private final Thread reader;

    private ChildJvm(Process process, String label) {
        this.process = process;
        this.label = label;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = JvmProcesses.pumpOutput(process, label, "child-jvm-" + process.pid(), this::add, this::ended);
    }

    /**
     * Starts {@code mainClass} in a new JVM (same {@code java} binary and class path as this one).
     *
     * @param systemProperties passed as {@code -Dkey=value}
     */
    public static ChildJvm start(Class<?> mainClass, List<String> args, Map<String, String> systemProperties) {
        requireNonNull(mainClass, "mainClass");
        List<String> command = new ArrayList<>();
        command.add(JvmProcesses.javaBinary());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return new ChildJvm(process, mainClass.getSimpleName() + " " + process.pid());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a JVM for " + mainClass.getName(), e);
        }
    }

    public static ChildJvm start(Class<?> mainClass, String... args) {
        return start(mainClass, List.of(args), Map.of());
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Every line printed so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * Waits for a printed line matching {@code regex} (anywhere in the line) and returns its matcher.
     *
     * @throws AssertionError when no such line appears within {@code timeout}, or the process exits first
     */
    public Matcher awaitLine(String regex, Duration timeout) {
        Pattern pattern = Pattern.compile(regex);
        Optional<String> line = awaitLine(l -> pattern.matcher(l).find(), timeout);
        Matcher m = pattern.matcher(line.orElseThrow());
        m.find();
        return m;
    }

    private synchronized Optional<String> awaitLine(Predicate<String> predicate, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            for (; checked < lines.size(); checked++) {
                if (predicate.test(lines.get(checked))) {
                    return Optional.of(lines.get(checked));
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || (!reader.isAlive() && checked == lines.size())) {
                throw new AssertionError("[" + label + "] no expected line within " + timeout
                        + (process.isAlive() ? "" : " (exited with " + process.exitValue() + ")")
                        + "; output was:\n" + String.join("\n", lines));
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Writes a line to the child's standard input. */
    public void send(String line) {
        try {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to [" + label + "]", e);
        }
    }

    /**
     * Waits for the process to exit and returns its exit code.
     *
     * @throws AssertionError when it is still running after {@code timeout}
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("[" + label + "] still running after " + timeout + "; output so far:\n"
                        + String.join("\n", lines()));
            }
            reader.join(5_000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** SIGKILL, as a crash would. */
    public void kill() {
        JvmProcesses.kill(process);
    }

    /** SIGSTOP: the process freezes, its timers and threads included. */
    public void pause() {
        ProcessSignals.send(process.toHandle(), "STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        ProcessSignals.send(process.toHandle(), "CONT");
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private synchronized void add(String line) {
        lines.add(line);
        notifyAll();
    }

    private synchronized void ended() {
        notifyAll();
    }
}
