package io.reside.runtime.rpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.reside.security.ResponseProofs;
import io.vertx.ext.web.RoutingContext;

/**
 * Authenticates every answer to an authenticated call (and every refusal the server can attribute) with
 * {@value ResponseProofs#HEADER_NAME} ({@link ResponseProofs}): the MAC of the session, or the signature of this
 * replica's account. The header covers the status and the exact bytes of the body, so the body is serialised into a
 * buffer first (it is small: a contract answer), then the header is set and the bytes are written. Answers without a
 * body are authenticated by {@link #bodiless}.
 */
@Provider
public class ResponseProofInterceptor implements WriterInterceptor {

    private static final String STATUS = "reside.response.status";

    @Inject
    RoutingContext routing;

    @Override
    public void aroundWriteTo(WriterInterceptorContext context) throws IOException {
        ResponseProofs.Responder responder = routing.get(ResideAuthenticationMechanism.RESPONDER);
        if (responder == null) {
            context.proceed();
            return;
        }
        OutputStream out = context.getOutputStream();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        context.setOutputStream(buffer);
        context.proceed(); // Quarkus REST encodes the headers into the response here; nothing is sent yet
        byte[] body = buffer.toByteArray();
        Integer status = routing.get(STATUS);
        routing.response().putHeader(ResponseProofs.HEADER_NAME,
                responder.authenticate(status == null ? routing.response().getStatusCode() : status, body));
        out.write(body);
        out.close();
    }

    /**
     * Runs before the body is written: notes the status for {@link #aroundWriteTo}, and authenticates an answer
     * without a body (a {@code void} method: 204) over the empty body.
     */
    @ServerResponseFilter
    public void bodiless(ContainerResponseContext response) {
        ResponseProofs.Responder responder = routing.get(ResideAuthenticationMechanism.RESPONDER);
        routing.put(STATUS, response.getStatus());
        if (responder != null && !response.hasEntity()) {
            response.getHeaders().putSingle(ResponseProofs.HEADER_NAME,
                    responder.authenticate(response.getStatus(), new byte[0]));
        }
    }
}
