package io.reside.images;

/**
 * A registry call failed. {@link #kind()} says how, so that a caller can tell the image's fault (a clear 4xx on a
 * load request) from the registry's (retry later); the message names the image and what to do.
 */
public final class RegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** The image, tag or blob is not in the registry. */
        NOT_FOUND,
        /** The image has no {@code io.reside.manifest} label. */
        LABEL_MISSING,
        /** The label is not base64 (of JSON). */
        LABEL_INVALID,
        /** The registry refused access. */
        UNAUTHORIZED,
        /** The registry's answer is not what the OCI Distribution spec says it should be. */
        INVALID,
        /** The registry cannot be reached, or failed: try again later. */
        UNREACHABLE
    }

    private final Kind kind;

    public RegistryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the fault is the image's (or the request's), not the registry's availability. */
    public boolean isImageProblem() {
        return kind != Kind.UNREACHABLE;
    }
}
