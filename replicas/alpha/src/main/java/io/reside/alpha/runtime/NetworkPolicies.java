package io.reside.alpha.runtime;

import static io.reside.alpha.runtime.KubernetesObjects.REPLICA_ID;
import static io.reside.alpha.runtime.KubernetesObjects.instanceLabels;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.runtime.WorkloadRuntime.Desired;
import io.reside.alpha.service.Records;
import io.reside.model.Identities;
import io.reside.model.manifest.ReplicaManifest;

/**
 * One NetworkPolicy per running replica, derived from the declared wiring (docs/kubernetes.md, "Network"): with the
 * namespace's default deny (k8s/overlays/production), a replica's pods accept RPC only from the replicas whose
 * requirements are wired to it, from the implementor that calls it back (telegram calling its handlers:
 * {@code alpha.kubernetes.network-policies.callbacks}) and, when it has an Ingress, from the ingress controller's
 * namespace; they reach only etcd, their wired implementors (Alpha itself for alpha.v1), the handlers they call back,
 * and for the implementors of {@code external-egress} contracts (telegram: the Bot API) the outside on port 443. DNS
 * is the overlay's, for every pod. A pure function of the running versions, so every pass builds the same policies
 * and the applier writes only a change (a new requirer, an unload).
 */
final class NetworkPolicies {

    /** The port name replicas serve on in their pods (KubernetesObjects). */
    static final String HTTP = "http";

    private final AlphaConfig.Kubernetes config;
    private final AlphaConfig.Kubernetes.NetworkPolicies settings;

    NetworkPolicies(AlphaConfig.Kubernetes config) {
        this.config = config;
        this.settings = config.networkPolicies();
    }

    /** Replica name → its policy, for the versions that run. */
    Map<String, NetworkPolicy> of(Collection<Desired> desired) {
        // one entry per instance; during an update both versions run, and the union of their wiring holds
        Map<String, String> names = new TreeMap<>(); // id → name
        Map<String, Set<String>> implementors = new TreeMap<>(); // requirer id → implementor ids
        Map<String, Set<String>> implemented = new TreeMap<>(); // id → contract keys it implements
        Map<String, Map<String, Set<String>>> byContract = new TreeMap<>(); // requirer id → contract key → ids
        Set<String> serving = new TreeSet<>();
        for (Desired d : desired) {
            String id = d.replica().id();
            names.put(id, d.replica().name());
            if (d.serves() && config.ingress().enabled()) {
                serving.add(id);
            }
            ReplicaManifest m = d.version().manifest();
            if (m.implementations() != null) {
                m.implementations().values().forEach(i -> implemented.computeIfAbsent(id, k -> new TreeSet<>())
                        .add(contractKey(i.identity())));
            }
            d.version().requirements().forEach((requirement, ids) -> {
                implementors.computeIfAbsent(id, k -> new TreeSet<>()).addAll(ids);
                ReplicaManifest.Requirement r = m.requirements() == null ? null : m.requirements().get(requirement);
                if (r != null) {
                    byContract.computeIfAbsent(id, k -> new TreeMap<>()).computeIfAbsent(contractKey(r.identity()),
                            k -> new TreeSet<>()).addAll(ids);
                }
            });
        }

        // the calls each instance makes: its wired implementors, and its callbacks to requirers
        Map<String, Set<String>> calls = new TreeMap<>();
        implementors.forEach((id, ids) -> calls.computeIfAbsent(id, k -> new TreeSet<>()).addAll(ids));
        for (String callback : settings.callbacks()) {
            String[] pair = callback.split(":", 2);
            if (pair.length != 2) {
                continue; // refused at start-up (KubernetesRuntime)
            }
            // a requirer of pair[0] that implements pair[1] is called back by its pair[0] implementors
            byContract.forEach((requirer, contracts) -> {
                if (implemented.getOrDefault(requirer, Set.of()).contains(pair[1]) && contracts.containsKey(
                        pair[0])) {
                    for (String caller : contracts.get(pair[0])) {
                        calls.computeIfAbsent(caller, k -> new TreeSet<>()).add(requirer);
                    }
                }
            });
        }
        Map<String, Set<String>> callers = new TreeMap<>();
        calls.forEach((caller, callees) -> callees.forEach(callee -> callers.computeIfAbsent(callee,
                k -> new TreeSet<>()).add(caller)));

        Map<String, NetworkPolicy> policies = new TreeMap<>();
        for (Map.Entry<String, String> e : names.entrySet()) {
            String id = e.getKey();
            String name = e.getValue();
            List<NetworkPolicyIngressRule> ingress = new ArrayList<>();
            List<NetworkPolicyPeer> from = new ArrayList<>();
            for (String caller : callers.getOrDefault(id, Set.of())) {
                peer(caller, names).ifPresent(from::add);
            }
            if (serving.contains(id) && settings.ingressNamespace().isPresent()) {
                from.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(new LabelSelectorBuilder()
                        .addToMatchLabels("kubernetes.io/metadata.name", settings.ingressNamespace().get()).build())
                        .build());
            }
            if (!from.isEmpty()) {
                ingress.add(new NetworkPolicyIngressRuleBuilder().withFrom(from).withPorts(port(new IntOrString(
                        HTTP))).build());
            }
            List<NetworkPolicyEgressRule> egress = new ArrayList<>();
            egress.add(new NetworkPolicyEgressRuleBuilder().addNewTo().withPodSelector(selector(settings
                    .etcdSelector())).endTo().withPorts(port(new IntOrString(settings.etcdPort()))).build());
            List<NetworkPolicyPeer> to = new ArrayList<>();
            boolean callsAlpha = false;
            for (String callee : calls.getOrDefault(id, Set.of())) {
                if (callee.equals(Records.ALPHA_ID)) {
                    callsAlpha = true;
                } else {
                    peer(callee, names).ifPresent(to::add);
                }
            }
            if (!to.isEmpty()) {
                egress.add(new NetworkPolicyEgressRuleBuilder().withTo(to).withPorts(port(new IntOrString(HTTP)))
                        .build());
            }
            if (callsAlpha) {
                egress.add(new NetworkPolicyEgressRuleBuilder().addNewTo().withPodSelector(selector(settings
                        .alphaSelector())).endTo().withPorts(port(new IntOrString(settings.alphaPort()))).build());
            }
            if (implemented.getOrDefault(id, Set.of()).stream().anyMatch(settings.externalEgress()::contains)) {
                // the outside: any address, this port only
                egress.add(new NetworkPolicyEgressRuleBuilder().withPorts(port(new IntOrString(settings
                        .externalPort()))).build());
            }
            Map<String, String> annotations = new LinkedHashMap<>();
            annotations.put(REPLICA_ID, id);
            policies.put(name, new NetworkPolicyBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
                    .withLabels(instanceLabels(name)).withAnnotations(annotations).build())
                    .withNewSpec().withPodSelector(new LabelSelectorBuilder().withMatchLabels(instanceLabels(name))
                            .build())
                    .withPolicyTypes("Ingress", "Egress").withIngress(ingress).withEgress(egress).endSpec().build());
        }
        return policies;
    }

    private static java.util.Optional<NetworkPolicyPeer> peer(String id, Map<String, String> names) {
        String name = names.get(id);
        return name == null ? java.util.Optional.empty() // not running: no pods to reach
                : java.util.Optional.of(new NetworkPolicyPeerBuilder().withPodSelector(new LabelSelectorBuilder()
                        .withMatchLabels(instanceLabels(name)).build()).build());
    }

    private static NetworkPolicyPort port(IntOrString port) {
        return new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(port).build();
    }

    /** {@code k=v,k2=v2} as a label selector. */
    static LabelSelector selector(String labels) {
        LabelSelectorBuilder b = new LabelSelectorBuilder();
        for (String pair : labels.split(",")) {
            String[] kv = pair.trim().split("=", 2);
            if (kv.length != 2 || kv[0].isBlank()) {
                throw new IllegalArgumentException("'" + labels + "' is not a label selector (k=v,k2=v2)");
            }
            b.addToMatchLabels(kv[0].trim(), kv[1].trim());
        }
        return b.build();
    }

    /** {@code .../contracts/telegram.v1} → {@code telegram.v1}. */
    static String contractKey(String identity) {
        return Identities.parseContract(identity).map(Identities.ContractId::key).orElse(identity);
    }
}
