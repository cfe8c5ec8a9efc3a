package io.reside.examples.greeterbot;

import jakarta.enterprise.context.ApplicationScoped;

import io.reside.examples.greeter.GreeterApi;
import io.reside.model.error.ResideException;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Routes;
import io.reside.telegram.sdk.TelegramBot;

/** {@code /greet <name>}: the greeter's answer, asked as the person; without greet:any, what to ask for. */
@ApplicationScoped
public class GreeterBot implements TelegramBot {

    @Override
    public void routes(Routes routes) {
        routes.command("greet", "greet.description", this::greet);
    }

    private void greet(Conversation c) {
        String name = c.args().isBlank() ? c.user().firstName() : c.args().trim();
        try {
            GreeterApi greeter = c.as("greeter", GreeterApi.class);
            c.reply(Html.escape(greeter.greet(new GreeterApi.GreetRequest(name)).text()));
        } catch (ResideException.PermissionDeniedException e) {
            c.reply(c.t("denied"));
        }
    }
}
