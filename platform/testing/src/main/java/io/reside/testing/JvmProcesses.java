package io.reside.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** What {@link ChildJvm} and {@link ReplicaProcess} share: the java binary, the output pump, a kill. */
public final class JvmProcesses {

    private JvmProcesses() {
    }

    /** The {@code java} binary running this JVM. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Starts a daemon thread that echoes each line the process prints (with a {@code [label]} prefix) and hands it to
     * {@code onLine}; {@code onEnd} runs once the output ends.
     */
    static Thread pumpOutput(Process process, String label, String threadName, Consumer<String> onLine,
            Runnable onEnd) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    System.out.println("[" + label + "] " + line);
                    onLine.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            } finally {
                onEnd.run();
            }
        }, threadName);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    /** SIGKILL, as a crash would, then waits (up to 10 s) for the process to be gone. */
    static void kill(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
