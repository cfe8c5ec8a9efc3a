package io.reside.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpServer;

/**
 * A small OpenTelemetry collector for tests: an OTLP/HTTP endpoint on loopback ({@code POST /v1/traces}, protobuf)
 * that keeps every span it receives. The protobuf is read with a few lines of wire-format decoding (the fields of
 * {@code ExportTraceServiceRequest} this test needs: resources' attributes, spans' ids, parent, name, kind and
 * attributes), so the fixture needs no generated OTLP classes.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** A span as exported: ids in hex, the exporting service, attributes as strings. */
    public record Span(String traceId, String spanId, String parentSpanId, String name, int kind, String service,
            Map<String, String> resource, Map<String, String> attributes) {
    }

    private final HttpServer server;
    private final List<Span> spans = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/v1/traces", exchange -> {
                try (exchange) {
                    InputStream in = exchange.getRequestBody();
                    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                        in = new GZIPInputStream(in);
                    }
                    receiver.spans.addAll(decode(in.readAllBytes()));
                    exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, -1);
                } catch (RuntimeException e) {
                    exchange.sendResponseHeaders(400, -1);
                }
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the OTLP receiver", e);
        }
    }

    /** The base URL exporters are given ({@code quarkus.otel.exporter.otlp.traces.endpoint}). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Span> spans() {
        return List.copyOf(spans);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---------------------------------------------------------------- protobuf wire format

    static List<Span> decode(byte[] request) {
        List<Span> out = new ArrayList<>();
        for (Field resourceSpans : fields(request)) {
            if (resourceSpans.number != 1) {
                continue;
            }
            Map<String, String> resource = new LinkedHashMap<>();
            List<byte[]> scopeSpans = new ArrayList<>();
            for (Field f : fields(resourceSpans.bytes)) {
                if (f.number == 1) { // Resource
                    for (Field a : fields(f.bytes)) {
                        if (a.number == 1) {
                            keyValue(a.bytes, resource);
                        }
                    }
                } else if (f.number == 2) {
                    scopeSpans.add(f.bytes);
                }
            }
            for (byte[] scope : scopeSpans) {
                for (Field s : fields(scope)) {
                    if (s.number == 2) {
                        out.add(span(s.bytes, resource));
                    }
                }
            }
        }
        return out;
    }

    private static Span span(byte[] bytes, Map<String, String> resource) {
        String traceId = "";
        String spanId = "";
        String parent = "";
        String name = "";
        int kind = 0;
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Field f : fields(bytes)) {
            switch (f.number) {
                case 1 -> traceId = HexFormat.of().formatHex(f.bytes);
                case 2 -> spanId = HexFormat.of().formatHex(f.bytes);
                case 4 -> parent = HexFormat.of().formatHex(f.bytes);
                case 5 -> name = new String(f.bytes, StandardCharsets.UTF_8);
                case 6 -> kind = (int) f.value;
                case 9 -> keyValue(f.bytes, attributes);
                default -> {
                }
            }
        }
        return new Span(traceId, spanId, parent, name, kind, resource.getOrDefault("service.name", ""), Map.copyOf(
                resource), attributes);
    }

    private static void keyValue(byte[] bytes, Map<String, String> into) {
        String key = null;
        String value = null;
        for (Field f : fields(bytes)) {
            if (f.number == 1) {
                key = new String(f.bytes, StandardCharsets.UTF_8);
            } else if (f.number == 2) {
                for (Field v : fields(f.bytes)) { // AnyValue
                    value = switch (v.number) {
                        case 1 -> new String(v.bytes, StandardCharsets.UTF_8);
                        case 2 -> Boolean.toString(v.value != 0);
                        case 3 -> Long.toString(v.value);
                        case 4 -> Double.toString(Double.longBitsToDouble(v.value));
                        default -> value;
                    };
                }
            }
        }
        if (key != null) {
            into.put(key, value);
        }
    }

    /** One field: its number, and its varint or fixed value, or its bytes (length-delimited). */
    private record Field(int number, long value, byte[] bytes) {
    }

    private static List<Field> fields(byte[] message) {
        List<Field> out = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            long tag = varint(in);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
                case 0 -> out.add(new Field(number, varint(in), null));
                case 1 -> out.add(new Field(number, in.getLong(), null));
                case 2 -> {
                    byte[] b = new byte[(int) varint(in)];
                    in.get(b);
                    out.add(new Field(number, 0, b));
                }
                case 5 -> out.add(new Field(number, in.getInt() & 0xffffffffL, null));
                default -> throw new IllegalArgumentException("protobuf wire type " + (tag & 7) + " is not read here");
            }
        }
        return out;
    }

    private static long varint(ByteBuffer in) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("malformed varint");
    }
}
