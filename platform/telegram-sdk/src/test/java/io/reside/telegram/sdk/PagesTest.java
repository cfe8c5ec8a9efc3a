package io.reside.telegram.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class PagesTest {

    @Test
    void longListsAreSplitIntoPagesAtLineBoundariesEachWithTheHead() {
        List<String> lines = IntStream.range(0, 100).mapToObj(i -> "line " + i + " " + "x".repeat(80)).toList();
        List<String> pages = Pages.split("<b>head</b>", lines, Pages.MAX);
        assertThat(pages).hasSizeGreaterThan(2).allSatisfy(p -> {
            assertThat(p).startsWith("<b>head</b>\n");
            assertThat(p.length()).isLessThanOrEqualTo(Pages.MAX);
        });
        assertThat(pages.stream().flatMap(p -> p.lines().skip(1)).toList()).isEqualTo(lines);
    }

    @Test
    void aShortListIsOnePageAndAnEmptyOneIsTheHeadAlone() {
        assertThat(Pages.split("h", List.of("a", "b"), Pages.MAX)).containsExactly("h\na\nb");
        assertThat(Pages.split("h", List.of(), Pages.MAX)).containsExactly("h");
        assertThat(Pages.split("h", List.of("y".repeat(5000)), Pages.MAX)).singleElement()
                .satisfies(p -> assertThat(p).hasSize(2 + 600 + 1).endsWith("…"));
    }
}
