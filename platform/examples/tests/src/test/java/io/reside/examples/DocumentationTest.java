package io.reside.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every block of docs/developing-replicas.md (and docs/getting-started.md) marked {@code <!-- example: <file> -->} is
 * that file, whole: the
 * documentation shows code that compiles (the modules are built before this test), and cannot drift from it.
 */
class DocumentationTest {

    static final Path ROOT = Path.of("").toAbsolutePath().resolve("../../..").normalize();
    static final Pattern EXAMPLE = Pattern.compile("<!-- example: (\\S+) -->\\n```[a-z]*\\n(.*?)\\n```",
            Pattern.DOTALL);

    @Test
    void theGuideShowsTheExampleModulesAsTheyAre() throws IOException {
        String guide = Files.readString(ROOT.resolve("docs/developing-replicas.md"));
        Matcher m = EXAMPLE.matcher(guide);
        List<String> shown = new ArrayList<>();
        while (m.find()) {
            Path file = ROOT.resolve(m.group(1));
            assertThat(file).as(m.group(1)).exists();
            assertThat(m.group(2)).as("the block of " + m.group(1) + " in docs/developing-replicas.md")
                    .isEqualTo(Files.readString(file).stripTrailing());
            shown.add(m.group(1));
        }
        // the whole path of a new developer: both poms, the contract, the replica, the consumer
        assertThat(shown).contains("platform/examples/greeter-v1/pom.xml", "platform/examples/greeter/pom.xml",
                "platform/examples/greeter-v1/src/main/java/io/reside/examples/greeter/GreeterApi.java",
                "platform/examples/greeter/src/main/java/io/reside/examples/greeter/replica/GreeterResource.java",
                "platform/examples/welcome/src/main/java/io/reside/examples/welcome/Welcome.java");
    }

    @Test
    void gettingStartedShowsTheChatReplicaAsItIs() throws IOException {
        String guide = Files.readString(ROOT.resolve("docs/getting-started.md"));
        Matcher m = EXAMPLE.matcher(guide);
        List<String> shown = new ArrayList<>();
        while (m.find()) {
            Path file = ROOT.resolve(m.group(1));
            assertThat(file).as(m.group(1)).exists();
            assertThat(m.group(2)).as("the block of " + m.group(1) + " in docs/getting-started.md")
                    .isEqualTo(Files.readString(file).stripTrailing());
            shown.add(m.group(1));
        }
        assertThat(shown).containsExactly(
                "platform/examples/greeter-bot/src/main/java/io/reside/examples/greeterbot/GreeterBotReplica.java",
                "platform/examples/greeter-bot/src/main/java/io/reside/examples/greeterbot/GreeterBot.java");
    }

    @Test
    void theReadmeSaysWhereNewContractsAndReplicasGo() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertThat(readme).contains("`contracts/`").contains("`replicas/`").contains("`platform/examples`");
    }
}
