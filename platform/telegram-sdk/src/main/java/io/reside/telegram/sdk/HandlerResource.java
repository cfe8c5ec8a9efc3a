package io.reside.telegram.sdk;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;

/** telegram-handler.v1, served by the SDK for the replica's {@link TelegramBot}. */
public class HandlerResource implements TelegramHandlerApi {

    @Inject
    SecurityIdentity identity;

    @Inject
    TelegramSdk sdk;

    @Override
    public Handled handleUpdate(HandleUpdate request) {
        return sdk.handle(identity.getPrincipal().getName(), request);
    }
}
