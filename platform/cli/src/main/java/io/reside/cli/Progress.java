package io.reside.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long steps on standard error: on a terminal one live line per step (its state rewritten in place, the
 * elapsed time ticking), elsewhere (a log, a pipe, a test) one line per step when it ends. Colours only on a
 * terminal, and not with {@code NO_COLOR} set.
 */
public final class Progress {

    private final PrintStream out;
    private final boolean live;
    private final boolean colour;

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.live = terminal;
        this.colour = terminal && System.getenv("NO_COLOR") == null;
    }

    /** Progress on this process's standard error; live when it is a terminal. */
    public static Progress onStderr() {
        String term = System.getenv("TERM");
        boolean terminal = System.console() != null && term != null && !term.equals("dumb");
        return new Progress(System.err, terminal);
    }

    public boolean live() {
        return live;
    }

    /** Starts a step: {@code label} names what it does ("etcd", "load telegram"). */
    public Step step(String label) {
        Step s = new Step(label);
        s.show(live ? "..." : null);
        return s;
    }

    /** A line of its own (a warning, the summary), never rewritten. */
    public synchronized void line(String text) {
        out.println(text);
        out.flush();
    }

    /** One long step. */
    public final class Step {
        private final String label;
        private final long started = System.nanoTime();
        private volatile boolean ended;

        private Step(String label) {
            this.label = label;
        }

        /** What the step is doing now ("validating", "starting"): shown live on a terminal only. */
        public void status(String state) {
            if (live && !ended) {
                show(state);
            }
        }

        /** The step ended well; {@code summary} says with what ("127.0.0.1:2379"). */
        public void done(String summary) {
            end(colour ? "\u001b[32mok\u001b[0m  " : "ok  ", summary);
        }

        /** The step failed; {@code reason} says why (the caller then says what to do). */
        public void fail(String reason) {
            end(colour ? "\u001b[31mFAILED\u001b[0m " : "FAILED ", reason);
        }

        private void end(String mark, String text) {
            synchronized (Progress.this) {
                if (ended) {
                    return;
                }
                ended = true;
                if (live) {
                    out.print("\r\u001b[K");
                }
                out.println(String.format(Locale.ROOT, "  %s%-24s %s (%s)", mark, label, text, elapsed()));
                out.flush();
            }
        }

        private void show(String state) {
            synchronized (Progress.this) {
                if (state == null) {
                    return;
                }
                out.print(String.format(Locale.ROOT, "\r\u001b[K  ..  %-24s %s (%s)", label, state, elapsed()));
                out.flush();
            }
        }

        private String elapsed() {
            return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - started) / 1e9);
        }
    }
}
