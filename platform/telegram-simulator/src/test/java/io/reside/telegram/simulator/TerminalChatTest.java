package io.reside.telegram.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

/** The terminal chat against a running simulator: a new person pings the bot and presses its button. */
class TerminalChatTest {

    @Test
    void aPersonChatsInTheTerminal() throws Exception {
        try (TelegramSimulator sim = TelegramSimulator.start()) {
            HttpClient http = HttpClient.newHttpClient();
            String api = sim.baseUrl() + "/bot" + sim.token() + "/";
            AtomicBoolean running = new AtomicBoolean(true);
            Thread bot = new Thread(() -> ChatPageBrowserTest.answerPings(http, api, running), "test-bot");
            bot.start();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            PipedWriter keyboard = new PipedWriter();
            BufferedReader in = new BufferedReader(new PipedReader(keyboard));
            TerminalChat chat = new TerminalChat(sim.baseUrl(), out);
            CompletableFuture<Void> session = CompletableFuture.runAsync(() -> {
                try {
                    chat.run(Map.of("--name", "Tom", "--language", "en"), in);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                keyboard.write("/ping\n");
                keyboard.flush();
                await(bytes, "[1] Again");
                assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("bot: pong, Tom");
                keyboard.write(":press 7\n:press 1\n");
                keyboard.flush();
                await(bytes, "bot: You pressed again");
                await(bytes, "(Pressed!)");
                assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("! no button 7").contains("(Pressed!)");
                keyboard.write(":quit\n");
                keyboard.flush();
                session.get(5, TimeUnit.SECONDS);
            } finally {
                running.set(false);
                bot.join(5000);
            }
        }
    }

    static void await(ByteArrayOutputStream bytes, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!bytes.toString(StandardCharsets.UTF_8).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not printed: " + text + "\n---\n" + bytes.toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(20);
        }
    }
}
