package io.reside.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {

    static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void identityTagAndDigest() {
        ImageReference r = ImageReference.parse("localhost:5000/reside/replicas/alpha:1.2@" + DIGEST);
        assertThat(r.registry()).isEqualTo("localhost:5000");
        assertThat(r.repository()).isEqualTo("reside/replicas/alpha");
        assertThat(r.identity()).isEqualTo("localhost:5000/reside/replicas/alpha");
        assertThat(r.tag()).isEqualTo("1.2");
        assertThat(r.digest()).isEqualTo(DIGEST);
        assertThat(r.reference()).isEqualTo(DIGEST);
        assertThat(r).hasToString("localhost:5000/reside/replicas/alpha:1.2@" + DIGEST);
        // the registry's port is not a tag: the tag's colon comes after the last '/'
        ImageReference untagged = ImageReference.parse("localhost:5000/reside/replicas/alpha");
        assertThat(untagged.tag()).isNull();
        assertThat(untagged.identity()).isEqualTo("localhost:5000/reside/replicas/alpha");
        assertThat(untagged.reference()).isEqualTo("latest");
        assertThat(ImageReference.parse("registry.example.com/team/x@" + DIGEST).tag()).isNull();
        assertThat(ImageReference.parse("[::1]:5000/a/b:c").registry()).isEqualTo("[::1]:5000");
    }

    @Test
    void errorsNameTheInputAndWhatIsWrong() {
        assertThatThrownBy(() -> ImageReference.parse("alpha")).hasMessage(
                "image 'alpha': it names no registry: write it as <registry>/<path>, e.g. localhost:5000/alpha");
        assertThatThrownBy(() -> ImageReference.parse("reside/alpha")).hasMessage("image 'reside/alpha': 'reside' is "
                + "not a registry host (a name with a dot, a port, or localhost): write it as <registry>/<path>");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/Reside/alpha")).hasMessage("image "
                + "'localhost:5000/Reside/alpha': path component 'Reside' must be lowercase letters and digits, "
                + "separated by '.', '_' or '-'");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/a:-x")).hasMessageContaining("its tag '-x'");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/a@sha256:xyz"))
                .hasMessage("image 'localhost:5000/a@sha256:xyz': its digest 'sha256:xyz' is not sha256:<64 lowercase "
                        + "hex digits>");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/")).hasMessageContaining("no path");
        assertThatThrownBy(() -> ImageReference.parse(" ")).hasMessageContaining("an image reference is required");
    }
}
