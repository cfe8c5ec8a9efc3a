package io.reside.model.manifest;

import java.util.List;

/**
 * A manifest that cannot be read or is invalid; each problem names the field, e.g. {@code requirements.users.identity}.
 */
public final class ManifestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ManifestException(String what, List<String> problems) {
        super(what + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
