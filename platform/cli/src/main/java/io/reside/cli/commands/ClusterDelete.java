package io.reside.cli.commands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.cli.cluster.Kube;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;
import io.reside.harness.LocalCluster;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside cluster delete [<cluster>]}: removes a Kubernetes cluster's ReSide objects from its namespace, in an
 * order that leaves nothing to re-create them (Alpha first, then the replicas' objects it made, then etcd and the
 * rest of k8s/base), and the cluster from the configuration. The namespace itself stays: other things may live in it.
 */
@Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        description = { "Delete a Kubernetes cluster's ReSide objects (Alpha, every replica, etcd and its data) from "
                + "its namespace, and the cluster from the configuration. Asks first (--yes: does not).",
                "The namespace stays (kubectl delete namespace <ns> removes it)." })
public class ClusterDelete extends BaseCommand {

    @Parameters(
            paramLabel = "<cluster>",
            arity = "0..1",
            description = "The cluster (default: the current context's).")
    String name;

    @Option(names = "--yes", description = "Do not ask for confirmation.")
    boolean yes;

    @Option(
            names = "--keep-data",
            description = "Keep etcd's volumes (PersistentVolumeClaims) and the Secrets that go with its data (the "
                    + "keys of Alpha and the replicas, etcd's root password, the cluster CA): a bootstrap of the same "
                    + "overlay finds the cluster's state again.")
    boolean keepData;

    /** {@code cluster delete -o json}. */
    public record Deleted(String cluster, String namespace, List<String> deleted, boolean dataKept) {
    }

    @Override
    public Integer call() {
        ConfigFile file = configFile();
        CliConfig config = file.load();
        String clusterName = name;
        if (clusterName == null) {
            String contextName = global().context != null ? global().context : config.currentContext();
            clusterName = config.context(contextName == null ? "" : contextName).map(CliConfig.Context::cluster)
                    .orElseThrow(() -> new CliException(ExitCodes.USAGE, "no current context: name the cluster to "
                            + "delete (reside cluster use lists them)"));
        }
        String clusterNameFinal = clusterName;
        CliConfig.Cluster cluster = config.cluster(clusterName).orElseThrow(() -> new CliException(
                ExitCodes.NOT_FOUND, "no cluster '" + clusterNameFinal + "' in " + file.path()));
        if (cluster.namespace() == null) {
            throw new CliException(ExitCodes.USAGE, "the cluster '" + clusterName + "' is not on Kubernetes (a "
                    + "./reside dev cluster: ./reside dev --reset starts it afresh)");
        }
        String ns = cluster.namespace();
        Confirm.requireTerminalOr(yes, "reside cluster delete");
        if (!yes && !Confirm.ask("Delete ReSide from namespace " + ns + (cluster.kubeContext() == null ? ""
                : " of " + cluster.kubeContext()) + ": Alpha, every replica" + (keepData ? "" : ", etcd's data")
                + "? [y/N] ")) {
            throw new CliException(ExitCodes.FAILURE, "nothing deleted");
        }
        Progress progress = progress();
        List<String> deleted = new ArrayList<>();
        try (KubernetesClient kube = Kube.client(cluster.kubeContext())) {
            Progress.Step alpha = progress.step("stop Alpha");
            deleted.addAll(delete(kube.apps().deployments().inNamespace(ns).withLabel("app.kubernetes.io/name",
                    ClusterBootstrap.ALPHA).withLabel(Kube.PART_OF, Kube.RESIDE)));
            awaitGone("Alpha's pods", () -> kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/name",
                    ClusterBootstrap.ALPHA).list().getItems());
            alpha.done("its Deployment deleted, its pods gone");

            Progress.Step replicas = progress.step("delete the replicas");
            int before = deleted.size();
            deleted.addAll(delete(kube.apps().deployments().inNamespace(ns).withLabel(Kube.MANAGED_BY, Kube.RESIDE)));
            deleted.addAll(delete(kube.batch().v1().jobs().inNamespace(ns).withLabel(Kube.MANAGED_BY, Kube.RESIDE)));
            deleted.addAll(delete(kube.network().v1().ingresses().inNamespace(ns).withLabel(Kube.MANAGED_BY,
                    Kube.RESIDE)));
            deleted.addAll(delete(kube.services().inNamespace(ns).withLabel(Kube.MANAGED_BY, Kube.RESIDE)));
            if (!keepData) { // the replicas' keys belong with the data: their accounts are in etcd
                deleted.addAll(delete(kube.secrets().inNamespace(ns).withLabel(Kube.MANAGED_BY, Kube.RESIDE)));
            }
            deleted.addAll(delete(kube.network().v1().networkPolicies().inNamespace(ns).withLabel(Kube.MANAGED_BY,
                    Kube.RESIDE)));
            replicas.done((deleted.size() - before) + " objects");

            Progress.Step base = progress.step("delete etcd and the rest");
            before = deleted.size();
            deleted.addAll(delete(kube.apps().statefulSets().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            deleted.addAll(delete(kube.apps().deployments().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            deleted.addAll(delete(kube.services().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            deleted.addAll(delete(kube.configMaps().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            if (!keepData) { // Alpha's key and etcd's root password, the cluster CA: they belong with the data too
                deleted.addAll(delete(kube.secrets().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            }
            deleted.addAll(delete(kube.policy().v1().podDisruptionBudget().inNamespace(ns).withLabel(Kube.PART_OF,
                    Kube.RESIDE)));
            deleted.addAll(delete(kube.network().v1().networkPolicies().inNamespace(ns).withLabel(Kube.PART_OF,
                    Kube.RESIDE)));
            deleted.addAll(delete(kube.rbac().roleBindings().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            deleted.addAll(delete(kube.rbac().roles().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            deleted.addAll(delete(kube.serviceAccounts().inNamespace(ns).withLabel(Kube.PART_OF, Kube.RESIDE)));
            if (!keepData) {
                deleted.addAll(delete(kube.persistentVolumeClaims().inNamespace(ns).withLabel(Kube.PART_OF,
                        Kube.RESIDE)));
            }
            base.done((deleted.size() - before) + " objects" + (keepData ? "; etcd's volumes kept" : ""));
        }
        file.save(config.withoutCluster(clusterName));
        Deleted result = new Deleted(clusterName, ns, deleted, keepData);
        Output out = output();
        out.print(result, () -> out.line("deleted " + deleted.size() + " objects of cluster " + clusterNameFinal
                + " from namespace " + ns + "; the cluster and its contexts are gone from " + file.path()
                + ". The namespace stays: kubectl delete namespace " + ns + " removes it."));
        return ExitCodes.OK;
    }

    /** Deletes what the listing holds (foreground: a workload goes with its pods); returns their kind/name. */
    private static <T extends HasMetadata, L extends KubernetesResourceList<T>> List<String> delete(
            FilterWatchListDeletable<T, L, ?> objects) {
        try {
            List<String> names = objects.list().getItems().stream().map(Kube::id).toList();
            if (!names.isEmpty()) {
                objects.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
                        .delete();
            }
            return names;
        } catch (KubernetesClientException e) {
            throw new CliException(e.getCode() == 403 ? ExitCodes.PERMISSION_DENIED : ExitCodes.UNAVAILABLE,
                    "cannot delete: " + Kube.describe(e) + ". Nothing was taken out of the configuration; run "
                            + "reside cluster delete again when the API server lets you");
        }
    }

    private static void awaitGone(String what, java.util.function.Supplier<List<? extends HasMetadata>> probe) {
        try {
            LocalCluster.awaitCondition(what + " gone", Duration.ofMinutes(2), Duration.ofSeconds(1), probe,
                    List::isEmpty, () -> false, null);
        } catch (LocalCluster.ConditionTimeoutException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, what + " still run 2 min after their Deployment was "
                    + "deleted: look with kubectl get pods, then run reside cluster delete again");
        }
    }
}
