package io.reside.secretary.users;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.reside.etcd.Store;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.permissions.RcbAdmin;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Texts;

/**
 * The contracts of the cluster as Alpha registered them (readable by every replica): their localised titles and the
 * permissions people can be granted.
 */
@ApplicationScoped
public class ContractTitles {

    @Inject
    Store store;

    List<ContractManifest> contracts() {
        return RcbAdmin.listContracts(store).stream().sorted(Comparator.comparing(ContractManifest::identity))
                .toList();
    }

    Optional<ContractManifest> contract(String identity) {
        return store.run(tx -> RcbAdmin.findContract(tx, identity));
    }

    static String title(Map<String, DisplayText> info, String language, String fallback) {
        if (info == null) {
            return fallback;
        }
        DisplayText t = info.getOrDefault(language, info.get("en"));
        return t == null || t.title() == null || t.title().isBlank() ? fallback : t.title();
    }

    String contractTitle(String identity, String language) {
        return contract(identity).map(c -> title(c.displayInfo(), language, identity)).orElse(identity);
    }

    /** One grant as a person reads it: "See all users (user:read:all) · User Manager", params after it. */
    String describe(ContractManifest contract, String identity, String permission, JsonNode params,
            String language) {
        String contractTitle = contract == null ? identity : title(contract.displayInfo(), language, identity);
        ContractManifest.Permission p = contract == null ? null : contract.permissions().get(permission);
        String title = p == null ? permission : title(p.displayInfo(), language, permission);
        StringBuilder line = new StringBuilder("<b>").append(Html.escape(Texts.fill(title, params))).append(
                "</b> (<code>").append(Html.escape(permission)).append("</code>) · ").append(Html.escape(
                        contractTitle));
        if (params != null && params.size() > 0 && !Texts.says(title, params)) {
            line.append(" <code>").append(Html.escape(params.toString())).append("</code>");
        }
        return line.toString();
    }
}
