package io.reside.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.User;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.harness.LocalCluster;
import io.reside.telegram.simulator.TelegramSimulator;

/**
 * The Telegram chain with RPC over TLS ({@code alpha.tls.enabled}): the handler registers its HTTPS endpoint, the
 * telegram replica offers it updates over verified TLS, and the handler's answer and its button presses come back the
 * same way. Each side of this is tested on its own elsewhere (TlsIT, LocalEndpointTest); here the whole chain.
 */
class TelegramTlsIT {

    static TelegramSimulator sim;
    static LocalCluster cluster;
    static AlphaApi.Replica telegram;
    static AlphaApi.Replica handler;

    @BeforeAll
    static void start() {
        sim = TelegramSimulator.start();
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")), Map.of("ALPHA_TLS_ENABLED",
                "true"));
        cluster.secret("telegram", Map.of("TELEGRAM_BOT_TOKEN", sim.token(), "TELEGRAM_API_URL", sim.baseUrl(),
                "TELEGRAM_POLL_TIMEOUT", "5s"));
        cluster.load(cluster.push(Path.of(System.getProperty("reside.user-manager.app")), "1"));
        telegram = cluster.load(cluster.push(Path.of(System.getProperty("reside.telegram.app")), "1"));
        handler = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.telegram-handler")), "1"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void updatesReachTheHandlerAndItsAnswersComeBackOverTls() {
        assertThat(telegram.endpoints().get("local")).startsWith("https://127.0.0.1:");
        assertThat(handler.endpoints().get("local")).startsWith("https://127.0.0.1:");
        // the handler's registration, as the telegram replica keeps it: the endpoint the SDK registered is HTTPS
        Records.Keys keys = Records.Keys.of(telegram.id());
        TelegramApi.Handler registered = LocalCluster.awaitCondition("the handler registered", Duration.ofSeconds(
                60), () -> cluster.dataOf(telegram.id()).find(Records.HANDLER, keys.handler("ping")),
                o -> o
                        .isPresent())
                .get().value();
        assertThat(registered.endpoints().get("local")).isEqualTo(handler.endpoints().get("local"));

        User ann = sim.createUser("Ann", "ann", "en");
        sim.sendText(ann.getId(), ann.getId(), "/ping");
        List<TelegramSimulator.ChatMessage> pong = sim.awaitBotMessages(ann.getId(), 1, m -> m.text() != null && m
                .text().contains("pong"), Duration.ofSeconds(60));
        assertThat(pong).hasSize(1);
        assertThat(pong.get(0).text()).isEqualTo("pong, <b>Ann</b> (from ping)");

        // a button press: telegram → handler (the callback) → telegram (the answer), over TLS both ways
        String press = sim.press(ann.getId(), ann.getId(), pong.get(0).messageId(), "again:1");
        LocalCluster.awaitCondition("the press is answered", Duration.ofSeconds(30), () -> sim.callbackAnswer(press),
                a -> a.isPresent());
        assertThat(sim.callbackAnswer(press).get().text()).isEqualTo("Pressed");

        // the handler acts as the person: a delegation from the User Manager, an impersonated call, all over TLS
        sim.sendText(ann.getId(), ann.getId(), "/whoami");
        List<TelegramSimulator.ChatMessage> whoami = sim.awaitBotMessages(ann.getId(), 1, m -> m.text() != null && m
                .text().startsWith("You are"), Duration.ofSeconds(60));
        assertThat(whoami).hasSize(1);
        assertThat(whoami.get(0).text()).matches("You are u-\\S+ of realm telegram");
    }
}
