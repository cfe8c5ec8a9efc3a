package io.reside.images;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference {@code identity[:tag][@digest]} (SPEC 6.1, step 1), where the identity is
 * {@code registry/path}: a tag's colon comes only after the last {@code /}, so the port of a registry
 * ({@code localhost:5000/reside/replicas/alpha}) stays part of the identity.
 *
 * @param registry host, with its port if any: {@code localhost:5000}
 * @param repository the path in the registry: {@code reside/replicas/alpha}
 * @param tag the tag, or null
 * @param digest {@code sha256:<64 hex>}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

    private static final Pattern HOST = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*"
                    + "(?::[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](?::[0-9]{1,5})?");
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");

    public ImageReference {
        requireNonNull(registry, "registry");
        requireNonNull(repository, "repository");
    }

    /**
     * Parses {@code identity[:tag][@digest]}. The registry must be explicit (a first component with a dot, a port,
     * or {@code localhost}): a ReSide cluster names the registry of every image it runs.
     *
     * @throws InvalidImageReferenceException naming the input and what is wrong with it
     */
    public static ImageReference parse(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new InvalidImageReferenceException("an image reference is required, such as "
                    + "localhost:5000/reside/replicas/greeter:1.0");
        }
        String rest = reference.trim();
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw invalid(reference, "its digest '" + digest + "' is not sha256:<64 lowercase hex digits>");
            }
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.indexOf(':', slash + 1);
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(reference, "its tag '" + tag + "' is not 1 to 128 letters, digits, '_', '.' or '-' "
                        + "(not starting with '.' or '-')");
            }
        }
        int first = rest.indexOf('/');
        if (first < 0) {
            throw invalid(reference, "it names no registry: write it as <registry>/<path>, e.g. localhost:5000/"
                    + rest);
        }
        String registry = rest.substring(0, first);
        String repository = rest.substring(first + 1);
        if (!(registry.contains(".") || registry.contains(":") || registry.equals("localhost"))
                || !HOST.matcher(registry).matches()) {
            throw invalid(reference, "'" + registry + "' is not a registry host (a name with a dot, a port, or "
                    + "localhost): write it as <registry>/<path>");
        }
        if (repository.isEmpty()) {
            throw invalid(reference, "it has no path after the registry");
        }
        for (String component : repository.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw invalid(reference, "path component '" + component + "' must be lowercase letters and digits, "
                        + "separated by '.', '_' or '-'");
            }
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    private static InvalidImageReferenceException invalid(String reference, String why) {
        return new InvalidImageReferenceException("image '" + reference + "': " + why);
    }

    /** {@code registry/repository}: the image's identity, without tag or digest. */
    public String identity() {
        return registry + "/" + repository;
    }

    /** The tag, or digest, to ask the registry for: the digest when there is one, else the tag, else latest. */
    public String reference() {
        return digest != null ? digest : tag != null ? tag : "latest";
    }

    public Optional<String> findTag() {
        return Optional.ofNullable(tag);
    }

    public Optional<String> findDigest() {
        return Optional.ofNullable(digest);
    }

    /** The same image pinned to {@code newDigest}. */
    public ImageReference withDigest(String newDigest) {
        return new ImageReference(registry, repository, tag, newDigest);
    }

    @Override
    public String toString() {
        return identity() + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }

    /** An image reference that does not parse; the message names the input and says what is wrong. */
    public static final class InvalidImageReferenceException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidImageReferenceException(String message) {
            super(message);
        }
    }
}
