package io.reside.secretary.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

class GraphPictureTest {

    /** The five replicas of a fresh cluster, wired as they are. */
    static List<GraphPicture.Node> cluster() {
        return List.of(new GraphPicture.Node("a", "Alpha", "alpha · v1", "running"),
                new GraphPicture.Node("u", "User Manager", "user-manager · v1", "running"),
                new GraphPicture.Node("t", "Telegram", "telegram · v2", "starting"),
                new GraphPicture.Node("s1", "Alpha secretary <&>", "alpha-secretary · v1", "error"),
                new GraphPicture.Node("s2", "User Manager secretary", "user-manager-secretary · v1", "stopped"));
    }

    static List<GraphPicture.Edge> wiring() {
        return List.of(new GraphPicture.Edge("u", "a"), new GraphPicture.Edge("t", "u"),
                new GraphPicture.Edge("s1", "t"), new GraphPicture.Edge("s1", "u"), new GraphPicture.Edge("s1", "a"),
                new GraphPicture.Edge("s2", "t"), new GraphPicture.Edge("s2", "u"), new GraphPicture.Edge("s2", "a"),
                new GraphPicture.Edge("s2", "gone"), new GraphPicture.Edge("a", "a"));
    }

    static BufferedImage check(GraphPicture.Picture p, String file) throws Exception {
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", file), p.png());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(p.png()));
        assertThat(image).as("a PNG").isNotNull();
        assertThat(image.getWidth()).isEqualTo(p.width());
        assertThat(image.getHeight()).isEqualTo(p.height());
        // Telegram's sendPhoto limits: at most 10 MB, width + height at most 10000, sides at most 20:1
        assertThat(p.png().length).isLessThan(10 * 1024 * 1024);
        assertThat(p.width() + p.height()).isLessThanOrEqualTo(10000);
        double ratio = Math.max(p.width(), p.height()) / (double) Math.min(p.width(), p.height());
        assertThat(ratio).isLessThanOrEqualTo(20);
        return image;
    }

    @Test
    void theClusterIsDrawnWithItsWiringAndEveryStatusColour() throws Exception {
        BufferedImage image = check(GraphPicture.draw(cluster(), wiring()), "graph-5.png");
        // requirers above what they require: five boxes in more than one layer, something drawn beyond the background
        assertThat(image.getHeight()).isGreaterThan(200);
        int nonWhite = 0;
        for (int x = 0; x < image.getWidth(); x += 3) {
            for (int y = 0; y < image.getHeight(); y += 3) {
                nonWhite += image.getRGB(x, y) == 0xffffffff ? 0 : 1;
            }
        }
        assertThat(nonWhite).isGreaterThan(500);
    }

    @Test
    void thirtyReplicasStayReadableAndWithinTelegramsPhotoLimits() throws Exception {
        List<GraphPicture.Node> nodes = new ArrayList<>(cluster());
        List<GraphPicture.Edge> edges = new ArrayList<>(wiring());
        for (int i = 0; i < 25; i++) {
            nodes.add(new GraphPicture.Node("r" + i, "A replica with a long title number " + i, "replica-" + i
                    + " · v" + (i % 3 + 1), i % 4 == 0 ? "degraded" : "running"));
            edges.add(new GraphPicture.Edge("r" + i, "a"));
            edges.add(new GraphPicture.Edge("r" + i, i % 2 == 0 ? "u" : "t"));
            if (i > 0) {
                edges.add(new GraphPicture.Edge("r" + i, "r" + (i - 1) / 2)); // a tree of replicas above the core
            }
        }
        long t0 = System.nanoTime();
        GraphPicture.Picture p = GraphPicture.draw(nodes, edges);
        System.out.printf("30 replicas, %d edges: %dx%d, %d bytes, drawn in %d ms%n", edges.size(), p.width(),
                p.height(), p.png().length, (System.nanoTime() - t0) / 1_000_000);
        check(p, "graph-30.png");
        // readable once Telegram scales the long side to 1280: not a sliver
        double ratio = Math.max(p.width(), p.height()) / (double) Math.min(p.width(), p.height());
        assertThat(ratio).as("aspect ratio").isLessThanOrEqualTo(4);
    }
}
