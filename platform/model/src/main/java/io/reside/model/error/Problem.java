package io.reside.model.error;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * RFC 9457 problem details ({@code application/problem+json}) with ReSide's extensions.
 *
 * @param type {@code https://reside.io/problems/<code>}
 * @param code the stable {@link ErrorCode#code()}
 * @param reason for 401: which check failed ({@code proof-expired}, ...)
 * @param permission for 403: the missing permission, e.g. {@code realm:read{telegram} of <contract>}
 * @param errors for 400: one entry per invalid field
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, String code, String reason,
        String permission, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** @param field a path such as {@code request.realm} or {@code items[2].name} */
    public record FieldError(String field, String message) {
    }

    public static Problem of(ErrorCode code, String detail) {
        return new Problem("https://reside.io/problems/" + code.code(), code.title(), code.status(), detail,
                code.code(), null, null, List.of());
    }

    public Problem withReason(String value) {
        return new Problem(type, title, status, detail, code, value, permission, errors);
    }

    public Problem withPermission(String value) {
        return new Problem(type, title, status, detail, code, reason, value, errors);
    }

    public Problem withErrors(List<FieldError> value) {
        return new Problem(type, title, status, detail, code, reason, permission, List.copyOf(value));
    }
}
