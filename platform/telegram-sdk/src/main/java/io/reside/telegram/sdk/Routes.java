package io.reside.telegram.sdk;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The routes of a bot: {@code /commands}, callback data by prefix, and other messages. The first route that matches
 * handles the update; an update no route matches is left to the next handler.
 */
public final class Routes {

    /** One command: its name (without the slash) and the message key of its menu description. */
    public record Command(String name, String descriptionKey, Consumer<Conversation> action) {
    }

    record Callback(String prefix, Consumer<Conversation> action) {
    }

    private final List<Command> commands = new ArrayList<>();
    private final List<Callback> callbacks = new ArrayList<>();
    private java.util.function.Predicate<Conversation> text;

    /** {@code /name} (also {@code /name@bot} and with arguments: {@link Conversation#args()}). */
    public Routes command(String name, String descriptionKey, Consumer<Conversation> action) {
        if (!name.matches("[a-z0-9_]{1,32}")) {
            throw new IllegalArgumentException("command '" + name + "': Telegram allows 1-32 of a-z 0-9 _");
        }
        commands.add(new Command(name, descriptionKey, action));
        return this;
    }

    /** Button presses whose callback data starts with {@code prefix} ({@link Conversation#data()}). */
    public Routes callback(String prefix, Consumer<Conversation> action) {
        callbacks.add(new Callback(prefix, action));
        return this;
    }

    /**
     * Any other message (not a command): {@code action} answers whether it handled it; one that did not is left to the
     * next handler (a reply expected only in the middle of a dialogue, say).
     */
    public Routes text(java.util.function.Predicate<Conversation> action) {
        this.text = action;
        return this;
    }

    public List<Command> commands() {
        return List.copyOf(commands);
    }

    List<Callback> callbacks() {
        return callbacks;
    }

    java.util.function.Predicate<Conversation> textRoute() {
        return text;
    }

    /** The update types these routes need from Telegram. */
    List<String> allowedUpdates() {
        Set<String> types = new java.util.TreeSet<>();
        if (!commands.isEmpty() || text != null) {
            types.add("message");
        }
        if (!callbacks.isEmpty()) {
            types.add("callback_query");
        }
        return List.copyOf(types);
    }
}
