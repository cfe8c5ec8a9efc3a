package io.reside.secretary.alpha;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClipLinesTest {

    @Test
    void longHtmlIsCutAfterAWholeLineSoNoTagIsLeftOpen() {
        String line = "• <code>method</code> <b>title</b> &amp; more";
        String html = (line + "\n").repeat(200);
        String clipped = AlphaBot.clipLines(html, 4000);
        assertThat(clipped.length()).isLessThanOrEqualTo(4000);
        assertThat(clipped).endsWith("\n…");
        assertThat(clipped.split("\n")).allSatisfy(l -> assertThat(l).satisfiesAnyOf(x -> assertThat(x).isEqualTo(
                line), x -> assertThat(x).isEqualTo("…")));
        assertThat(AlphaBot.clipLines("<b>short</b>", 4000)).isEqualTo("<b>short</b>");
    }

    @Test
    void oneHugeLineKeepsItsTextEscapedAndWhole() {
        String clipped = AlphaBot.clipLines("<b>" + "a&amp;b ".repeat(1000) + "</b>", 4000);
        assertThat(clipped).doesNotContain("<b>").endsWith("…").doesNotMatch("(?s).*&[a-z]*$");
        assertThat(clipped.length()).isLessThanOrEqualTo(4000);
        assertThat(clipped).startsWith("a&amp;b a&amp;b");
    }
}
