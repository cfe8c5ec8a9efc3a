package io.reside.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * POSIX signals the JDK cannot send ({@link ProcessHandle} only has TERM and KILL), for fault-injection tests.
 */
public final class ProcessSignals {

    private ProcessSignals() {
    }

    /**
     * Sends {@code SIG<signal>} (e.g. {@code STOP}, {@code CONT}) to a process with the {@code kill} command.
     *
     * @throws IllegalStateException when {@code kill} fails
     */
    public static void send(ProcessHandle process, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + signal + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal, e);
        }
    }
}
