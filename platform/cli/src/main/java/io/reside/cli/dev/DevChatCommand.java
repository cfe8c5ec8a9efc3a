package io.reside.cli.dev;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.telegram.simulator.TerminalChat;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code reside dev chat}: a terminal chat with the bot of the running dev cluster, through its simulator. */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = { "Chat with the dev cluster's bot in this "
                + "terminal (the simulator's): as the operator, as another simulated user (--user), or as a new one "
                + "(--name).", "In the chat: :press N presses a button, :commands lists the menu, :quit leaves." })
public class DevChatCommand implements Callable<Integer> {

    @ParentCommand
    DevCommand dev;

    @Option(names = "--user", description = "A simulated user's id.")
    Long user;

    @Option(names = "--name", description = "A new simulated user with this first name.")
    String name;

    @Option(names = "--language", description = "The new user's language (en or ru).", defaultValue = "en")
    String language;

    @Override
    public Integer call() throws Exception {
        DevDir.Running running = DevStatusCommand.requireRunning(dev.dir());
        if (running.chat() == null) {
            throw new CliException(ExitCodes.UNAVAILABLE, "this dev cluster talks to a real bot "
                    + "(TELEGRAM_BOT_TOKEN): chat with it in Telegram");
        }
        if (user != null && name != null) {
            throw new CliException(ExitCodes.USAGE, "--user and --name exclude each other");
        }
        List<String> args = new ArrayList<>(List.of("--url", running.chat().replaceAll("/$", "")));
        if (name != null) {
            args.addAll(List.of("--name", name, "--language", language));
        } else {
            Long who = user != null ? user : running.operatorChatUser();
            args.addAll(List.of("--user", String.valueOf(who)));
        }
        TerminalChat.main(args.toArray(String[]::new));
        return ExitCodes.OK;
    }
}
