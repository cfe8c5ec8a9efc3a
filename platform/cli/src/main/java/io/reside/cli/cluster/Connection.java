package io.reside.cli.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.SignedClient;
import io.reside.security.AccountKey;
import io.reside.security.PublicKey;

/**
 * One context of the configuration, ready to call: the account's key, Alpha's contract signed as that account, and
 * the contracts of other replicas found through Alpha. Every answer is checked against the callee's public key,
 * which is fetched from the replica ({@code GET /reside/account}) and accepted only when it hashes to the account id
 * the configuration (Alpha's) or Alpha's signed answer (any other replica's) names.
 */
public final class Connection {

    /** {@code RESIDE_ACCESS_CONTEXT}: which of the replicas' endpoints to call, over the cluster's own setting. */
    public static final String ACCESS_CONTEXT_ENV = "RESIDE_ACCESS_CONTEXT";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CliConfig config;
    private final CliConfig.Context context;
    private final CliConfig.Cluster cluster;
    private final CliConfig.Account account;
    private final AccountKey key;
    private final javax.net.ssl.SSLContext tls;
    private final HttpClient http;
    private AlphaApi alpha;

    private Connection(CliConfig config, CliConfig.Context context, CliConfig.Cluster cluster,
            CliConfig.Account account, AccountKey key) {
        this.config = config;
        this.context = context;
        this.cluster = cluster;
        this.account = account;
        this.key = key;
        this.tls = cluster.caFile() == null ? null : trust(cluster);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /** The cluster CA of a cluster whose RPC runs over TLS. */
    private static javax.net.ssl.SSLContext trust(CliConfig.Cluster cluster) {
        try {
            return io.reside.security.CertificateAuthority.trusting(java.nio.file.Files.readString(Path.of(cluster
                    .caFile())));
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot read the CA of cluster '" + cluster.name() + "' ("
                    + cluster.caFile() + "): " + e.getMessage() + ". reside cluster bootstrap writes it again");
        }
    }

    /**
     * The named context, or the current one.
     *
     * @throws CliException when there is no such context, its cluster or account is missing, or its key cannot be
     *         used (saying which and what to do)
     */
    public static Connection open(ConfigFile file, String contextName) {
        CliConfig config = file.load();
        String name = contextName != null ? contextName : config.currentContext();
        if (name == null) {
            throw new CliException(ExitCodes.USAGE, "no current context in " + file.path() + ": start a local "
                    + "cluster with ./reside dev (it adds the context 'dev'), or name one with --context");
        }
        CliConfig.Context context = config.context(name).orElseThrow(() -> new CliException(ExitCodes.USAGE,
                "no context '" + name + "' in " + file.path() + " (there are: " + String.join(", ", config
                        .contexts().stream().map(CliConfig.Context::name).toList()) + ")"));
        CliConfig.Cluster cluster = config.cluster(context.cluster()).orElseThrow(() -> new CliException(
                ExitCodes.USAGE, "context '" + name + "' names the cluster '" + context.cluster() + "', which is "
                        + "not in " + file.path()));
        CliConfig.Account account = config.account(context.account()).orElseThrow(() -> new CliException(
                ExitCodes.USAGE, "context '" + name + "' names the account '" + context.account() + "', which is "
                        + "not in " + file.path() + ": reside account list shows the accounts"));
        if (account.keyFile() == null) {
            throw new CliException(ExitCodes.USAGE, "the account '" + account.name() + "' has no key on this "
                    + "machine: a context needs an account whose key you hold");
        }
        AccountKey key = ConfigFile.readKey(Path.of(account.keyFile()));
        if (!key.accountId().equals(account.accountId())) {
            throw new CliException(ExitCodes.FAILURE, "the key file " + account.keyFile() + " is the key of "
                    + key.accountId() + ", not of the account '" + account.name() + "' (" + account.accountId()
                    + "): the file was replaced; restore it or fix " + file.path());
        }
        return new Connection(config, context, cluster, account, key);
    }

    /** The whole configuration it was opened from. */
    public CliConfig config() {
        return config;
    }

    public CliConfig.Context context() {
        return context;
    }

    public CliConfig.Cluster cluster() {
        return cluster;
    }

    public CliConfig.Account account() {
        return account;
    }

    public AccountKey key() {
        return key;
    }

    /** {@code RESIDE_ACCESS_CONTEXT}, else the cluster's, else {@code external}. */
    public String accessContext() {
        String env = System.getenv(ACCESS_CONTEXT_ENV);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        return cluster.accessContext() != null ? cluster.accessContext() : "external";
    }

    /** alpha.v1, as this context's account. */
    public synchronized AlphaApi alpha() {
        if (alpha == null) {
            URI endpoint = URI.create(cluster.endpoint());
            alpha = SignedClient.of(AlphaApi.class, endpoint, key, publicKey(endpoint, cluster.alphaAccountId(),
                    "Alpha"), null, tls);
        }
        return alpha;
    }

    /** Another API Alpha serves (a platform one, such as its audit trail), as this context's account. */
    public <T> T alphaApi(Class<T> api) {
        URI endpoint = URI.create(cluster.endpoint());
        return SignedClient.of(api, endpoint, key, publicKey(endpoint, cluster.alphaAccountId(), "Alpha"), null,
                tls);
    }

    /** A replica's contract, as this context's account, at the endpoint of this access context. */
    public <T> T client(Class<T> contract, AlphaApi.ReplicaEndpoints replica) {
        String endpoint = replica.endpoints().get(accessContext());
        if (endpoint == null) {
            throw new CliException(ExitCodes.UNAVAILABLE, replica.name() + " has no " + accessContext()
                    + " endpoint (it has: " + String.join(", ", replica.endpoints().keySet()) + "): set "
                    + ACCESS_CONTEXT_ENV + " to one of them, or wait until it runs");
        }
        URI uri = URI.create(endpoint);
        return SignedClient.of(contract, uri, key, publicKey(uri, replica.accountId(), replica.name()), null, tls);
    }

    /** The cluster's User Manager, where Alpha says it answers (any account may ask). */
    public UserManagerApi userManager() {
        return client(UserManagerApi.class, alpha().getUserManager());
    }

    /**
     * A replica's public key from {@code GET <endpoint>/reside/account}, accepted only if it is the key of
     * {@code accountId}.
     */
    PublicKey publicKey(URI endpoint, String accountId, String who) {
        URI url = URI.create(endpoint.toString().replaceAll("/+$", "") + "/reside/account");
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw Errors.unreachable(endpoint.toString(), who, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        }
        if (answer.statusCode() != 200) {
            throw new CliException(ExitCodes.UNAVAILABLE, who + " at " + endpoint + " does not say who it is (HTTP "
                    + answer.statusCode() + " from " + url + "): is this a ReSide replica, and is it ready?");
        }
        PublicKey key;
        try {
            JsonNode doc = JSON.readTree(answer.body());
            key = PublicKey.fromBase64url(Optional.ofNullable(doc.get("publicKey")).map(JsonNode::asText).orElse(
                    ""));
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, who + " at " + endpoint + " answered " + url + " with no "
                    + "public key: is this a ReSide replica?");
        }
        if (!key.accountId().equals(accountId)) {
            throw new CliException(ExitCodes.FAILURE, "the server at " + endpoint + " is account " + key.accountId()
                    + ", not " + who + " (" + accountId + "): refusing to talk to it. If " + who + " was "
                    + "re-created, update alphaAccountId of the cluster '" + cluster.name() + "' in the "
                    + "configuration");
        }
        return key;
    }
}
