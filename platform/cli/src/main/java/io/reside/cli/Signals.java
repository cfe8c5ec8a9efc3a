package io.reside.cli;

import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM handled by a command that runs until stopped ({@code reside dev}): instead of the JVM's
 * default (run the shutdown hooks, all at once and in no order, then exit 130 or 143), the command stops what it runs
 * in its own order and exits normally. {@code sun.misc.Signal} is the JDK's supported way to do this (module
 * {@code jdk.unsupported}; GraalVM native images support it too).
 */
public final class Signals {

    private Signals() {
    }

    /** Runs {@code onStop} (on the JVM's signal thread) at each SIGINT or SIGTERM, instead of exiting. */
    public static void onStop(Runnable onStop) {
        for (String name : new String[] { "INT", "TERM" }) {
            Signal.handle(new Signal(name), signal -> onStop.run());
        }
    }
}
