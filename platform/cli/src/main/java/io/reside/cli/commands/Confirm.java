package io.reside.cli.commands;

import java.io.Console;
import java.util.Locale;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;

/** Questions to the person at the terminal, before a command does something that cannot be taken back. */
final class Confirm {

    private Confirm() {
    }

    /**
     * A command that asks must run where someone can answer: without a terminal it needs {@code --yes}.
     *
     * @throws CliException ({@link ExitCodes#USAGE}) when there is no terminal and no {@code --yes}
     */
    static void requireTerminalOr(boolean yes, String command) {
        if (!yes && System.console() == null) {
            throw new CliException(ExitCodes.USAGE, command + " asks for confirmation and there is no terminal "
                    + "to ask in: run it in a terminal, or add --yes");
        }
    }

    /** Asks a yes/no question; only "y" or "yes" is yes. */
    static boolean ask(String question) {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        String answer = console.readLine("%s", question);
        return answer != null && (answer.trim().toLowerCase(Locale.ROOT).equals("y") || answer.trim().toLowerCase(
                Locale.ROOT).equals("yes"));
    }
}
