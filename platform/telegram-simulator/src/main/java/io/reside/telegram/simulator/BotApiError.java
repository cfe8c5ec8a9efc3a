package io.reside.telegram.simulator;

/** A Bot API error answer: {@code {"ok":false,"error_code":..,"description":..,"parameters":{"retry_after":..}}}. */
final class BotApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int code;
    final Integer retryAfter;

    BotApiError(int code, String description) {
        this(code, description, null);
    }

    BotApiError(int code, String description, Integer retryAfter) {
        super(description, null, false, false);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    static BotApiError badRequest(String what) {
        return new BotApiError(400, "Bad Request: " + what);
    }
}
