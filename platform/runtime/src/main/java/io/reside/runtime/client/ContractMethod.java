package io.reside.runtime.client;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.model.error.ResideException;

/**
 * How one contract method goes on the wire, read once from its JAX-RS annotations: {@code GET} with query
 * parameters for reads, {@code POST} with one JSON body for commands, at {@code /rpc/<contract>/<method>} (the
 * convention the manifest processor enforces at build time).
 */
final class ContractMethod {

    final String name;
    final String http;
    final boolean idempotent;
    private final String path;
    private final List<String> queryNames = new ArrayList<>();
    private final List<Integer> queryIndexes = new ArrayList<>();
    private final int bodyIndex;
    private final JavaType returnType;
    private final boolean returnsString;

    ContractMethod(Method method, ObjectMapper json) {
        this.name = method.getName();
        this.http = method.isAnnotationPresent(GET.class) ? "GET"
                : method.isAnnotationPresent(POST.class) ? "POST" : null;
        if (http == null) {
            throw new IllegalArgumentException(method + " is not a contract method (no @GET or @POST)");
        }
        this.idempotent = http.equals("GET");
        Path type = method.getDeclaringClass().getAnnotation(Path.class);
        Path own = method.getAnnotation(Path.class);
        this.path = (type == null ? "" : type.value()) + "/" + (own == null ? name : own.value());
        int body = -1;
        Parameter[] parameters = method.getParameters();
        for (int i = 0; i < parameters.length; i++) {
            QueryParam q = parameters[i].getAnnotation(QueryParam.class);
            if (q != null) {
                queryNames.add(q.value());
                queryIndexes.add(i);
            } else {
                body = i;
            }
        }
        this.bodyIndex = body;
        this.returnType = json.getTypeFactory().constructType(method.getGenericReturnType());
        this.returnsString = method.getReturnType() == String.class;
    }

    /** Path and query, as signed ({@code htu}) and sent. */
    String target(Object[] args) {
        StringBuilder sb = new StringBuilder(path);
        char separator = '?';
        for (int i = 0; i < queryNames.size(); i++) {
            Object value = args[queryIndexes.get(i)];
            if (value != null) {
                sb.append(separator).append(URLEncoder.encode(queryNames.get(i), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
                separator = '&';
            }
        }
        return sb.toString();
    }

    byte[] body(Object[] args, ObjectMapper json) {
        if (bodyIndex < 0 || args[bodyIndex] == null) {
            return new byte[0];
        }
        try {
            return json.writeValueAsBytes(args[bodyIndex]);
        } catch (JsonProcessingException e) {
            throw new ResideException.InvalidInputException("cannot serialise the argument of " + name + ": "
                    + e.getOriginalMessage());
        }
    }

    boolean hasBody() {
        return bodyIndex >= 0;
    }

    Object read(String contentType, byte[] body, ObjectMapper json) {
        if (returnType.hasRawClass(void.class) || returnType.hasRawClass(Void.class)) {
            return null;
        }
        if (returnsString && (contentType == null || !contentType.startsWith("application/json"))) {
            return new String(body, StandardCharsets.UTF_8);
        }
        if (body.length == 0) {
            return null;
        }
        try {
            return json.readValue(body, returnType);
        } catch (java.io.IOException e) {
            throw new ResideException.InvalidInputException("the answer of " + name + " does not fit " + returnType
                    + ": " + e.getMessage());
        }
    }
}
