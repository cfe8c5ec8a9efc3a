package io.reside.telegram;

import java.util.List;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.contracts.telegram.v1.TelegramApi;

/** telegram.v1, served; {@code @Requires} is enforced by the platform, callBotApi's rules in {@link BotCalls}. */
public class TelegramResource implements TelegramApi {

    @Inject
    SecurityIdentity identity;

    @Inject
    Handlers handlers;

    @Inject
    TelegramUsers users;

    @Inject
    BotCalls calls;

    private String caller() {
        return identity.getPrincipal().getName();
    }

    @Override
    public Handler registerHandler(RegisterHandler request) {
        return handlers.register(caller(), request);
    }

    @Override
    public Handler setHandlerEnabled(SetHandlerEnabled request) {
        return handlers.setEnabled(request);
    }

    @Override
    public List<Handler> listHandlers() {
        return handlers.all();
    }

    @Override
    public BotApiResult callBotApi(BotApiCall request) {
        return calls.call(caller(), request);
    }

    @Override
    public TelegramUser getTelegramUser(Long telegramId, String username) {
        return users.get(telegramId, username);
    }

    @Override
    public Page<TelegramUser> listTelegramUsers(String after, Integer limit) {
        return users.list(after, limit);
    }
}
