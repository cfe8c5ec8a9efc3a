package io.reside.telegram;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.Store;

/**
 * Webhook mode: Telegram posts each update here with the secret header. The update is stored as pending (once: Telegram
 * delivers again until it gets a 2xx) and answered 200 at once; the leader processes it like a polled one. Public
 * (Telegram
 * has no ReSide account): the secret header is the authentication, compared in constant time.
 */
@Path("/telegram/webhook")
public class WebhookResource {

    private static final Logger LOG = Logger.getLogger(WebhookResource.class);

    @Inject
    TelegramConfig config;

    @Inject
    Gateway gateway;

    @Inject
    Store store;

    @POST
    @PermitAll
    public Response deliver(@HeaderParam("X-Telegram-Bot-Api-Secret-Token") String secret, ObjectNode update) {
        if (config.mode() != TelegramConfig.Mode.WEBHOOK) {
            return Response.status(404).build();
        }
        String expected = config.webhook().secret().orElse("");
        if (expected.isEmpty() || secret == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                secret.getBytes(StandardCharsets.UTF_8))) {
            LOG.warn("a webhook delivery without the right secret header was refused");
            return Response.status(401).build();
        }
        if (update == null || !update.path("update_id").isNumber() || gateway.keys() == null) {
            return Response.status(update == null || !update.path("update_id").isNumber() ? 400 : 503).build();
        }
        long id = update.path("update_id").asLong();
        Records.Keys keys = gateway.keys();
        store.run(tx -> {
            if (!tx.exists(keys.processed(id)) && !tx.exists(keys.pending(id))) {
                tx.put(Records.PENDING, keys.pending(id), new Records.Pending(update, Gateway.chatOf(update),
                        Gateway.typeOf(update), Instant.now()));
            }
            return null;
        });
        return Response.ok().build();
    }
}
