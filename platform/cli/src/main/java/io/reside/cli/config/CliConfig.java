package io.reside.cli.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * {@code ~/.config/reside/config.yaml} (SPEC 8): the clusters this person operates, the accounts (keys) they hold,
 * and contexts pairing one with the other; {@link #currentContext()} is what commands use without {@code --context}.
 * Immutable: every change returns a new value, written by {@link ConfigFile#save}.
 *
 * <pre>
 * currentContext: dev
 * contexts:  [{name: dev, cluster: dev, account: dev-operator}]
 * clusters:  [{name: dev, endpoint: http://127.0.0.1:45409, alphaAccountId: acc_..., accessContext: local}]
 * accounts:  [{name: dev-operator, accountId: acc_..., keyFile: /path/to/operator.pem}]
 * </pre>
 */
@RegisterForReflection // read and written with Jackson
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CliConfig(String currentContext, List<Context> contexts, List<Cluster> clusters,
        List<Account> accounts) {

    public static final CliConfig EMPTY = new CliConfig(null, List.of(), List.of(), List.of());

    public CliConfig {
        contexts = contexts == null ? List.of() : List.copyOf(contexts);
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
    }

    /** A cluster and the account to act as in it. */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Context(String name, String cluster, String account) {
    }

    /**
     * A ReSide cluster.
     *
     * @param namespace its Kubernetes namespace (null for a local cluster)
     * @param endpoint where Alpha answers ({@code http(s)://host:port}, or the Ingress URL of Alpha)
     * @param alphaAccountId Alpha's account: its answers must be signed by this account's key
     * @param kubeContext the kubectl context of its Kubernetes cluster (null for a local cluster)
     * @param accessContext which of the replicas' endpoints to call: {@code external} (the default) or
     *        {@code local} (a {@code reside dev} cluster); {@code RESIDE_ACCESS_CONTEXT} overrides it
     * @param caFile the cluster CA (PEM) that {@code https} endpoints are checked against, for a cluster whose RPC
     *        runs over TLS (written by {@code cluster bootstrap}); null: the JDK's CAs
     */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cluster(String name, String namespace, String endpoint, String alphaAccountId, String kubeContext,
            String accessContext, String caFile) {

        public Cluster(String name, String namespace, String endpoint, String alphaAccountId, String kubeContext,
                String accessContext) {
            this(name, namespace, endpoint, alphaAccountId, kubeContext, accessContext, null);
        }
    }

    /**
     * An account this person holds.
     *
     * @param keyFile its private key (PEM, mode 0600); null for an account whose key is held elsewhere
     */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Account(String name, String accountId, String keyFile) {
    }

    public Optional<Context> context(String name) {
        return contexts.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public Optional<Cluster> cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public Optional<Account> account(String name) {
        return accounts.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    /** With {@code context} added, or replacing the one of the same name. */
    public CliConfig with(Context context) {
        return new CliConfig(currentContext, replace(contexts, context, Context::name), clusters, accounts);
    }

    public CliConfig with(Cluster cluster) {
        return new CliConfig(currentContext, contexts, replace(clusters, cluster, Cluster::name), accounts);
    }

    public CliConfig with(Account account) {
        return new CliConfig(currentContext, contexts, clusters, replace(accounts, account, Account::name));
    }

    public CliConfig withCurrentContext(String name) {
        return new CliConfig(name, contexts, clusters, accounts);
    }

    /** Without the cluster, and without the contexts that use it (the current one too, if it did). */
    public CliConfig withoutCluster(String name) {
        List<Context> kept = contexts.stream().filter(c -> !c.cluster().equals(name)).toList();
        String current = kept.stream().anyMatch(c -> c.name().equals(currentContext)) ? currentContext : null;
        return new CliConfig(current, kept, clusters.stream().filter(c -> !c.name().equals(name)).toList(),
                accounts);
    }

    private static <T> List<T> replace(List<T> list, T value, Function<T, String> name) {
        List<T> out = new ArrayList<>();
        boolean replaced = false;
        for (T t : list) {
            if (name.apply(t).equals(name.apply(value))) {
                out.add(value);
                replaced = true;
            } else {
                out.add(t);
            }
        }
        if (!replaced) {
            out.add(value);
        }
        return out;
    }
}
