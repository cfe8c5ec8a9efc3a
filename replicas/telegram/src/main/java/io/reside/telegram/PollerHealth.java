package io.reside.telegram;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Whether this instance polls the bot, and the last 409 (another poller with the same token somewhere): shown in
 * {@code /q/health/ready}. Always up: an instance that waits for the lock still serves callBotApi.
 */
@Readiness
@ApplicationScoped
public class PollerHealth implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("telegram-poller").up().withData("leader", gateway.leading())
                .withData("processed", gateway.processedCount()).withData("conflicts", gateway.conflicts());
        if (gateway.lastConflict() != null) {
            b.withData("last-conflict", gateway.lastConflict().toString() + " (Telegram answered 409: another "
                    + "getUpdates with this bot's token runs elsewhere)");
        }
        if (gateway.lastError() != null) {
            b.withData("last-error", gateway.lastError());
        }
        return b.build();
    }
}
