package io.reside.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.vertx.core.http.HttpServerOptions;

/**
 * The start-up check that a replica serves the contracts it implements (here the test replica, implementing
 * greeter.v1), against a server that answers one fixed status to everything.
 */
class ServedContractsTest {

    private static Optional<String> checkAgainst(int status, List<String> asked) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        server.createContext("/", exchange -> {
            synchronized (asked) {
                asked.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        try {
            return ServedContracts.firstUnserved(new HttpServerOptions().setHost("127.0.0.1")
                    .setPort(server.getAddress().getPort()), java.util.Optional.empty());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aContractWithNoServedEndpointStopsStartUpWithTheFix() throws IOException {
        List<String> asked = new ArrayList<>();
        Optional<String> problem = checkAgainst(404, asked);
        assertThat(problem).hasValueSatisfying(p -> assertThat(p).startsWith("/rpc/greeter.v1/")
                .contains("serves no endpoint of contract greeter.v1").contains("META-INF/beans.xml")
                .contains("A class must implement its interface"));
        assertThat(asked).hasSize(1); // stops at the first
        assertThat(checkAgainst(405, new ArrayList<>())).isPresent();
    }

    @Test
    void servedMethodsPass() throws IOException {
        List<String> asked = new ArrayList<>();
        assertThat(checkAgainst(401, asked)).isEmpty();
        // each method of the contract, with its HTTP method
        assertThat(asked).contains("GET /rpc/greeter.v1/greet", "POST /rpc/greeter.v1/enter",
                "POST /rpc/greeter.v1/ping");
    }
}
