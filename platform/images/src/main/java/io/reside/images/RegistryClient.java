package io.reside.images;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A client of the OCI Distribution API ({@code /v2/}): resolves a tag to a digest, reads an image's config and its
 * {@value #MANIFEST_LABEL} label, and pulls blobs by digest, checking their SHA-256. OCI and Docker media types are
 * accepted, manifest lists and indexes are followed to their {@code linux/amd64} image (else the first). Anonymous
 * and bearer-token authentication (the token flow of the Distribution spec, with optional basic credentials for the
 * token endpoint). Plain HTTP only for loopback registries and those listed as insecure. Every call has a timeout.
 * Thread-safe.
 */
public final class RegistryClient {

    public static final String MANIFEST_LABEL = "io.reside.manifest";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String ACCEPT = String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST);
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final long MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http;
    private final Options options;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();

    /**
     * @param insecure registries (host:port) reached over plain HTTP besides loopback ones
     * @param mirrors registry → the registry (host:port) to read its images from instead; identities are unchanged
     * @param timeout the deadline of each call (a blob download included)
     * @param username for the token endpoint of a registry that requires it, or null
     * @param password its password, or null; never logged or put in an error
     */
    public record Options(Set<String> insecure, Map<String, String> mirrors, Duration connectTimeout,
            Duration timeout, String username, String password) {

        public static final Options DEFAULT = new Options(Set.of(), Map.of(), Duration.ofSeconds(5),
                Duration.ofSeconds(60), null, null);

        public Options {
            insecure = Set.copyOf(insecure);
            mirrors = Map.copyOf(mirrors);
            requireNonNull(connectTimeout, "connectTimeout");
            requireNonNull(timeout, "timeout");
        }

        public Options withInsecure(Set<String> registries) {
            return new Options(registries, mirrors, connectTimeout, timeout, username, password);
        }

        public Options withMirrors(Map<String, String> value) {
            return new Options(insecure, value, connectTimeout, timeout, username, password);
        }

        public Options withTimeout(Duration value) {
            return new Options(insecure, mirrors, connectTimeout, value, username, password);
        }

        /**
         * Mirrors written as {@code <registry>=<mirror>}.
         *
         * @throws IllegalArgumentException naming an entry that is not of that form
         */
        public static Map<String, String> parseMirrors(java.util.Collection<String> entries) {
            Map<String, String> result = new LinkedHashMap<>();
            for (String entry : entries) {
                int eq = entry.indexOf('=');
                if (eq <= 0 || eq == entry.length() - 1) {
                    throw new IllegalArgumentException("registry mirror '" + entry + "' is not <registry>=<mirror>, "
                            + "e.g. localhost:5000=127.0.0.1:35011");
                }
                result.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
            }
            return result;
        }

        @Override
        public String toString() {
            return "Options[insecure=" + insecure + ", mirrors=" + mirrors + ", timeout=" + timeout + ", username="
                    + username + "]";
        }
    }

    /** A layer or config: its digest, size and media type. */
    public record Descriptor(String mediaType, String digest, long size) {
    }

    /**
     * An image found in a registry.
     *
     * @param digest the digest of its image manifest: what pins it
     */
    public record ResolvedImage(ImageReference reference, String digest, String mediaType, Descriptor config,
            List<Descriptor> layers) {
    }

    public RegistryClient(Options options) {
        this.options = requireNonNull(options, "options");
        this.http = HttpClient.newBuilder().connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /**
     * Resolves a reference to its image manifest (through a manifest list or index).
     *
     * @throws RegistryException {@code NOT_FOUND} when the image or tag does not exist; {@code INVALID} when the
     *         registry's answer is not an image, or a given digest does not match
     */
    public ResolvedImage resolve(ImageReference ref) {
        Manifest m = manifest(ref, ref.reference());
        if (ref.digest() != null && !ref.digest().equals(m.digest)) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": the registry answered a "
                    + "manifest with digest " + m.digest);
        }
        if (m.mediaType.equals(OCI_INDEX) || m.mediaType.equals(DOCKER_LIST)) {
            JsonNode chosen = null;
            for (JsonNode entry : m.body.path("manifests")) {
                if (chosen == null) {
                    chosen = entry;
                }
                if ("linux".equals(entry.path("platform").path("os").asText())
                        && "amd64".equals(entry.path("platform").path("architecture").asText())) {
                    chosen = entry;
                    break;
                }
            }
            if (chosen == null) {
                throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": its index lists no "
                        + "image");
            }
            m = manifest(ref, chosen.path("digest").asText());
        }
        if (!m.mediaType.equals(OCI_MANIFEST) && !m.mediaType.equals(DOCKER_MANIFEST)) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": the registry answered "
                    + "media type '" + m.mediaType + "', not an image manifest");
        }
        Descriptor config = descriptor(m.body.path("config"), ref);
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : m.body.path("layers")) {
            layers.add(descriptor(l, ref));
        }
        return new ResolvedImage(ref, m.digest, m.mediaType, config, List.copyOf(layers));
    }

    /** The image's config blob (its labels are {@code config.Labels}). */
    public JsonNode config(ResolvedImage image) {
        try {
            return json.readTree(blob(image.reference(), image.config()));
        } catch (IOException e) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + image.reference() + ": its config "
                    + "blob is not JSON");
        }
    }

    /**
     * The value of the image's {@value #MANIFEST_LABEL} label: base64 of the manifest's JSON, decoded.
     *
     * @throws RegistryException {@code LABEL_MISSING} when the image has no such label, {@code LABEL_INVALID} when
     *         it is not base64
     */
    public String manifestLabel(ResolvedImage image) {
        JsonNode label = config(image).path("config").path("Labels").path(MANIFEST_LABEL);
        if (!label.isTextual()) {
            throw new RegistryException(RegistryException.Kind.LABEL_MISSING, "image " + image.reference() + " has no "
                    + MANIFEST_LABEL + " label: is it a ReSide image? (build it with 'reside build' or ImageBuilder)");
        }
        try {
            return new String(Base64.getDecoder().decode(label.asText()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Kind.LABEL_INVALID, "image " + image.reference() + ": its "
                    + MANIFEST_LABEL + " label is not base64");
        }
    }

    /** A blob, whole, checked against its digest. For small blobs (configs). */
    public byte[] blob(ImageReference ref, Descriptor descriptor) {
        if (descriptor.size() > MAX_MANIFEST_BYTES) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": blob "
                    + descriptor.digest() + " is " + descriptor.size() + " bytes, too large to read in memory");
        }
        HttpResponse<byte[]> r = send(ref, "/v2/" + ref.repository() + "/blobs/" + descriptor.digest(), null,
                HttpResponse.BodyHandlers.ofByteArray());
        expectOk(r.statusCode(), ref, "blob " + descriptor.digest());
        if (!sha256(r.body()).equals(descriptor.digest())) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": blob "
                    + descriptor.digest() + " does not match its digest");
        }
        return r.body();
    }

    /**
     * Downloads a blob (a layer) to {@code target}, checking its digest; written to a temporary file first, so that
     * {@code target} only ever holds a verified blob.
     */
    public void pull(ImageReference ref, Descriptor descriptor, Path target) {
        HttpResponse<InputStream> r = send(ref, "/v2/" + ref.repository() + "/blobs/" + descriptor.digest(), null,
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            expectOk(r.statusCode(), ref, "blob " + descriptor.digest());
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path partial = target.resolveSibling(target.getFileName() + ".partial");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) > 0;) {
                    sha.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(descriptor.digest())) {
                Files.deleteIfExists(partial);
                throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": layer "
                        + descriptor.digest() + " does not match its digest (got " + actual + ")");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new RegistryException(RegistryException.Kind.UNREACHABLE, "image " + ref + ": downloading layer "
                    + descriptor.digest() + " failed: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    // ------------------------------------------------------------------ internals

    private record Manifest(String mediaType, String digest, JsonNode body) {
    }

    private Manifest manifest(ImageReference ref, String reference) {
        HttpResponse<byte[]> r = send(ref, "/v2/" + ref.repository() + "/manifests/" + reference, ACCEPT,
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) {
            throw new RegistryException(RegistryException.Kind.NOT_FOUND, "image " + ref + " is not in registry "
                    + ref.registry() + (ref.tag() != null && ref.digest() == null ? " (no tag '" + ref.tag() + "')"
                            : "")
                    + ": push it first");
        }
        expectOk(r.statusCode(), ref, "its manifest");
        if (r.body().length > MAX_MANIFEST_BYTES) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": its manifest is too large");
        }
        String digest = sha256(r.body());
        JsonNode body;
        try {
            body = json.readTree(r.body());
        } catch (IOException e) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": its manifest is not JSON");
        }
        String mediaType = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim())
                .filter(t -> !t.isEmpty() && !t.equals("application/json"))
                .orElse(body.path("mediaType").asText(OCI_MANIFEST));
        return new Manifest(mediaType, digest, body);
    }

    private static Descriptor descriptor(JsonNode node, ImageReference ref) {
        String digest = node.path("digest").asText("");
        if (!digest.matches("sha256:[a-f0-9]{64}")) {
            throw new RegistryException(RegistryException.Kind.INVALID, "image " + ref + ": its manifest has a "
                    + "descriptor without a sha256 digest");
        }
        return new Descriptor(node.path("mediaType").asText(""), digest, node.path("size").asLong(-1));
    }

    private void expectOk(int status, ImageReference ref, String what) {
        if (status == 401 || status == 403) {
            throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "image " + ref + ": registry "
                    + ref.registry() + " refused access to " + what + " (HTTP " + status + "): check the credentials");
        }
        if (status == 404) {
            throw new RegistryException(RegistryException.Kind.NOT_FOUND, "image " + ref + ": " + what + " is not in "
                    + "registry " + ref.registry());
        }
        if (status < 200 || status >= 300) {
            throw new RegistryException(RegistryException.Kind.UNREACHABLE, "image " + ref + ": registry "
                    + ref.registry() + " answered HTTP " + status + " for " + what);
        }
    }

    /** Sends a GET, with the bearer token of the repository when the registry asked for one. */
    private <T> HttpResponse<T> send(ImageReference ref, String path, String accept, HttpResponse.BodyHandler<T> body) {
        String host = options.mirrors().getOrDefault(ref.registry(), ref.registry());
        URI uri = base(host).resolve(path);
        String scope = "repository:" + ref.repository() + ":pull";
        try {
            HttpResponse<T> r = http.send(request(uri, accept, tokens.get(ref.registry() + " " + scope)), body);
            if (r.statusCode() == 401) {
                Optional<String> challenge = r.headers().firstValue("WWW-Authenticate");
                if (challenge.isPresent() && challenge.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
                    if (r.body() instanceof InputStream in) {
                        in.close();
                    }
                    String token = token(ref, challenge.get(), scope);
                    tokens.put(ref.registry() + " " + scope, token);
                    r = http.send(request(uri, accept, token), body);
                }
            }
            return r;
        } catch (IOException e) {
            throw new RegistryException(RegistryException.Kind.UNREACHABLE, "registry " + host
                    + " is unreachable (" + uri.getScheme() + "): " + (e.getMessage() == null ? e.toString()
                            : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(RegistryException.Kind.UNREACHABLE, "interrupted while calling registry "
                    + ref.registry());
        }
    }

    private HttpRequest request(URI uri, String accept, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(options.timeout()).GET();
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    /** The token flow of the Distribution spec: GET realm?service=...&scope=..., optionally with basic credentials. */
    private String token(ImageReference ref, String challenge, String scope) throws IOException, InterruptedException {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + ref.registry()
                    + " asks for a token but names no realm");
        }
        StringBuilder query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        query.append(query.isEmpty() ? "" : "&").append("scope=")
                .append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        if (!"https".equals(tokenUri.getScheme()) && !isPlainHttpAllowed(tokenUri.getAuthority())) {
            throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + ref.registry()
                    + " sends for a token to " + tokenUri.getScheme() + "://" + tokenUri.getAuthority()
                    + ", which is neither https nor an insecure registry");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(options.timeout()).GET();
        if (options.username() != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((options.username() + ":"
                    + (options.password() == null ? "" : options.password())).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + ref.registry()
                    + ": its token endpoint answered HTTP " + r.statusCode() + ": check the credentials");
        }
        JsonNode answer = json.readTree(r.body());
        String token = answer.path("token").asText(answer.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + ref.registry()
                    + ": its token endpoint gave no token");
        }
        return token;
    }

    private URI base(String registry) {
        return URI.create((isPlainHttpAllowed(registry) ? "http://" : "https://") + registry);
    }

    /** Plain HTTP for loopback registries and those listed as insecure only. */
    boolean isPlainHttpAllowed(String registry) {
        if (options.insecure().contains(registry)) {
            return true;
        }
        String host = registry.startsWith("[") ? registry.substring(1, registry.indexOf(']'))
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        if (host.equals("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: do not resolve it to decide
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
