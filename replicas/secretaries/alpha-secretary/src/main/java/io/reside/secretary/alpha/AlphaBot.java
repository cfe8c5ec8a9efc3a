package io.reside.secretary.alpha;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;
import io.reside.telegram.sdk.Pages;
import io.reside.telegram.sdk.Routes;
import io.reside.telegram.sdk.TelegramBot;
import io.reside.telegram.sdk.Texts;

/**
 * Alpha's secretary: {@code /replicas} (a picture of the graph, a card per replica), {@code /contracts},
 * {@code /permissions} and {@code /load}. Every call to Alpha is made as the person (the SDK's impersonated client);
 * before it, the person's own grants on Alpha ({@code getMyGrants}) say whether they may, so a person who may not is
 * told what they need instead of getting an error.
 */
@ApplicationScoped
public class AlphaBot implements TelegramBot {

    static final String READ = "replica:read:all";
    static final Set<String> IN_FORCE = Set.of("current", "updating");
    static final int CAPTION = 1024;

    @Inject
    LoadWatcher loads;

    @Inject
    PermissionRequests requests;

    @Override
    public void routes(Routes routes) {
        routes.command("replicas", "replicas.description", seen(this::replicas))
                .command("contracts", "contracts.description", seen(this::contracts))
                .command("permissions", "permissions.description", seen(this::permissions))
                .command("load", "load.description", seen(loads::load))
                .callback("rp:", this::card)
                .callback("rg:", this::back)
                .callback("ct:", this::contractCard)
                .callback("cl:", this::contractList)
                .callback("la:", loads::approve)
                .callback("lr:", loads::reject)
                .callback("pm:", this::permissions)
                .callback("pa:", requests::decide)
                .callback("pr:", requests::decide);
    }

    /** The person's language is remembered for the messages sent to them unasked (permission requests). */
    private java.util.function.Consumer<Conversation> seen(java.util.function.Consumer<Conversation> command) {
        return c -> {
            requests.seen(c);
            command.accept(c);
        };
    }

    static AlphaApi alpha(Conversation c) {
        return c.as("alpha", AlphaApi.class);
    }

    static String title(Map<String, DisplayText> info, String language, String fallback) {
        if (info == null) {
            return fallback;
        }
        DisplayText t = info.getOrDefault(language, info.get("en"));
        return t == null || t.title() == null || t.title().isBlank() ? fallback : t.title();
    }

    static String description(Map<String, DisplayText> info, String language) {
        if (info == null) {
            return "";
        }
        DisplayText t = info.getOrDefault(language, info.get("en"));
        return t == null || t.description() == null ? "" : t.description();
    }

    /** Whether the person holds {@code permission} on Alpha; if not, they are told so (and a press is answered). */
    static boolean may(Conversation c, String permission) {
        boolean holds = alpha(c).getMyGrants().stream().anyMatch(g -> g.permission().equals(permission)
                && IN_FORCE.contains(g.state()));
        if (!holds) {
            if (c.update().hasCallbackQuery()) {
                c.answerCallback(c.t("needs.short", permission), true);
            } else {
                c.needs(permission, c.t("alpha"));
            }
        }
        return holds;
    }

    // ------------------------------------------------------------------ the graph

    private void replicas(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        List<AlphaApi.Replica> replicas = alpha(c).listReplicas();
        GraphPicture.Picture picture = picture(replicas, c.language());
        c.replyPhoto(picture.png(), "replicas.png", caption(c, replicas), keyboard(c, replicas));
    }

    static GraphPicture.Picture picture(List<AlphaApi.Replica> replicas, String language) {
        List<GraphPicture.Node> nodes = new ArrayList<>();
        List<GraphPicture.Edge> edges = new ArrayList<>();
        for (AlphaApi.Replica r : replicas) {
            AlphaApi.Version v = r.currentVersion();
            String status = v == null ? "none" : v.status();
            nodes.add(new GraphPicture.Node(r.id(), title(r.displayInfo(), language, r.name()), r.name() + " · v"
                    + r.currentVersionId() + " · " + status + (r.enabled() ? "" : " · off"), status));
            if (v != null && v.requirements() != null) {
                v.requirements().values().forEach(ids -> ids.forEach(to -> edges.add(new GraphPicture.Edge(r.id(),
                        to))));
            }
        }
        return GraphPicture.draw(nodes, edges);
    }

    private static String caption(Conversation c, List<AlphaApi.Replica> replicas) {
        long running = replicas.stream().filter(r -> r.currentVersion() != null && "running".equals(r
                .currentVersion().status())).count();
        return c.t("replicas.caption", replicas.size(), running);
    }

    private static Keyboard keyboard(Conversation c, List<AlphaApi.Replica> replicas) {
        return twoPerRow(replicas.stream().map(r -> Keyboard.Button.callback(clip(title(r.displayInfo(), c.language(),
                r.name())), "rp:" + r.id())).toList());
    }

    static Keyboard twoPerRow(List<Keyboard.Button> buttons) {
        Keyboard k = new Keyboard();
        for (int i = 0; i < buttons.size(); i += 2) {
            k.row(buttons.subList(i, Math.min(i + 2, buttons.size())).toArray(Keyboard.Button[]::new));
        }
        return k;
    }

    static String clip(String s) {
        return s.length() > 32 ? s.substring(0, 31) + "…" : s;
    }

    /** A replica's card, in place of the graph's caption (the picture stays). */
    private void card(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        AlphaApi alpha = alpha(c);
        AlphaApi.Replica r;
        List<AlphaApi.ReplicaGrant> grants;
        try {
            r = alpha.getReplica(c.data().substring(3));
            grants = alpha.getReplicaGrants(r.id());
        } catch (ResideException.NotFoundException e) {
            c.answerCallback(c.t("stale.replica"), true);
            return;
        }
        c.answerCallback(null, false);
        Map<String, String> titles = new HashMap<>();
        for (AlphaApi.PermissionInfo p : alpha.listPermissions()) {
            titles.put(p.contract() + " " + p.permission(), title(p.displayInfo(), c.language(), p.permission()));
        }
        c.editCaption(cardText(c, r, grants, titles), Keyboard.of(Keyboard.Button.callback(c.t("back"), "rg:")));
    }

    static String cardText(Conversation c, AlphaApi.Replica r, List<AlphaApi.ReplicaGrant> grants,
            Map<String, String> titles) {
        AlphaApi.Version v = r.currentVersion();
        StringBuilder html = new StringBuilder();
        html.append("<b>").append(Html.escape(title(r.displayInfo(), c.language(), r.name()))).append("</b>\n");
        String description = description(r.displayInfo(), c.language());
        if (!description.isEmpty()) {
            html.append("<i>").append(Html.escape(description)).append("</i>\n");
        }
        html.append(c.t("card.body", Html.escape(r.id()), Html.escape(r.name()), r.currentVersionId(),
                Html.escape(v == null ? "—" : v.status()), Html.escape(r.info().replicaClass()),
                yes(c, r.info().exclusive()), yes(c, r.info().scalable()), yes(c, r.enabled()),
                Html.escape(r.placementGroup() == null || r.placementGroup().isEmpty() ? "—" : r.placementGroup())));
        if (v != null && v.statusMessage() != null && !v.statusMessage().isBlank() && !"running".equals(v.status())) {
            html.append('\n').append(Html.escape(clip(v.statusMessage(), 200)));
        }
        html.append("\n\n").append(grants.isEmpty() ? c.t("card.no.grants") : c.t("card.grants"));
        // a caption holds 1024 characters: the permissions that do not fit are counted instead
        for (int i = 0; i < grants.size(); i++) {
            AlphaApi.ReplicaGrant g = grants.get(i);
            String title = titles.getOrDefault(g.contract() + " " + g.permission(), g.permission());
            String line = "\n• " + Html.escape(Texts.fill(title, g.params())) + " <code>" + Html.escape(g
                    .permission()) + "</code>" + (Texts.says(title, g.params()) ? "" : params(g.params())) + " → "
                    + Html.escape(g.implementorName());
            String more = "\n" + c.t("card.more", grants.size() - i);
            if (visible(html) + visible(line) + (i + 1 < grants.size() ? visible(more) : 0) > CAPTION) {
                html.append(more);
                break;
            }
            html.append(line);
        }
        return html.toString();
    }

    /** The length Telegram counts: the text without its HTML tags and with entities as one character. */
    static int visible(CharSequence html) {
        return html.toString().replaceAll("<[^>]+>", "").replaceAll("&[a-z]+;", "_").length();
    }

    static String clip(String s, int max) {
        return s.length() > max ? s.substring(0, max - 1) + "…" : s;
    }

    /** At most {@code max} characters of HTML, cut after a whole line (each line closes its own tags). */
    static String clipLines(String html, int max) {
        if (html.length() <= max) {
            return html;
        }
        int cut = html.lastIndexOf('\n', max - 2);
        if (cut > 0) {
            return html.substring(0, cut) + "\n…";
        }
        // one huge line: its text alone, clipped before it is escaped again (never half a tag or an entity)
        String text = html.replaceAll("<[^>]+>", "").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&amp;", "&");
        return Html.escape(clip(text, max / 2));
    }

    private static String params(JsonNode params) {
        return params == null || params.isEmpty() ? "" : " <code>" + Html.escape(params.toString()) + "</code>";
    }

    private static String yes(Conversation c, boolean b) {
        return c.t(b ? "yes" : "no");
    }

    /** "Back": the graph's caption and buttons again. */
    private void back(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        c.answerCallback(null, false);
        List<AlphaApi.Replica> replicas = alpha(c).listReplicas();
        c.editCaption(caption(c, replicas), keyboard(c, replicas));
    }

    // ------------------------------------------------------------------ contracts and permissions

    private void contracts(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        List<AlphaApi.ContractInfo> contracts = alpha(c).listContracts();
        c.reply(contractListText(c, contracts), contractKeyboard(c, contracts));
    }

    private String contractListText(Conversation c, List<AlphaApi.ContractInfo> contracts) {
        StringBuilder html = new StringBuilder(c.t("contracts.head", contracts.size()));
        for (AlphaApi.ContractInfo ci : contracts) {
            html.append("\n• <b>").append(Html.escape(title(ci.manifest().displayInfo(), c.language(), ci
                    .identity()))).append("</b> <code>").append(Html.escape(ci.identity())).append("</code> · ")
                    .append(c.t("contracts.implementors", ci.implementors().size()));
        }
        return html.toString();
    }

    private Keyboard contractKeyboard(Conversation c, List<AlphaApi.ContractInfo> contracts) {
        return twoPerRow(contracts.stream().map(ci -> Keyboard.Button.callback(clip(title(ci.manifest().displayInfo(),
                c.language(), ci.identity())), "ct:" + ci.identity())).toList());
    }

    private void contractCard(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        AlphaApi.ContractInfo ci;
        try {
            ci = alpha(c).getContract(c.data().substring(3));
        } catch (ResideException.NotFoundException e) {
            c.answerCallback(c.t("stale.contract"), true);
            return;
        }
        c.answerCallback(null, false);
        ContractManifest m = ci.manifest();
        StringBuilder html = new StringBuilder("<b>").append(Html.escape(title(m.displayInfo(), c.language(), m
                .identity()))).append("</b> <code>").append(Html.escape(m.identity())).append("</code>\n<i>")
                .append(Html.escape(description(m.displayInfo(), c.language()))).append("</i>\n\n")
                .append(c.t("contract.methods"));
        m.methods().forEach((name, method) -> {
            String about = description(method.displayInfo(), c.language());
            html.append("\n• <code>").append(Html.escape(name)).append("</code> ").append(Html.escape(title(method
                    .displayInfo(), c.language(), name))).append(about.isEmpty() ? "" : " — " + Html.escape(about))
                    .append(method.requires() == null ? "" : " · <code>" + Html.escape(method.requires()) + "</code>");
        });
        html.append("\n\n").append(c.t("contract.permissions"));
        m.permissions().forEach((name, p) -> html.append("\n• <code>").append(Html.escape(name)).append("</code> ")
                .append(Html.escape(title(p.displayInfo(), c.language(), name))).append(" — ").append(Html.escape(
                        description(p.displayInfo(), c.language()))));
        c.edit(clipLines(html.toString(), 4000), Keyboard.of(Keyboard.Button.callback(c.t("back"), "cl:")));
    }

    private void contractList(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        c.answerCallback(null, false);
        List<AlphaApi.ContractInfo> contracts = alpha(c).listContracts();
        c.edit(contractListText(c, contracts), contractKeyboard(c, contracts));
    }

    /** Every permission of every known contract, grouped by contract, a page at a time. */
    private void permissions(Conversation c) {
        if (!may(c, READ)) {
            return;
        }
        AlphaApi alpha = alpha(c);
        Map<String, String> contractTitles = new HashMap<>();
        alpha.listContracts().forEach(ci -> contractTitles.put(ci.identity(), title(ci.manifest().displayInfo(), c
                .language(), ci.identity())));
        List<AlphaApi.PermissionInfo> all = alpha.listPermissions();
        List<String> lines = new ArrayList<>();
        String last = null;
        for (AlphaApi.PermissionInfo p : all) {
            if (!p.contract().equals(last)) {
                lines.add("\n<b>" + Html.escape(contractTitles.getOrDefault(p.contract(), p.contract())) + "</b>");
                last = p.contract();
            }
            String params = p.paramsSchema() != null && p.paramsSchema().path("properties").size() > 0
                    ? " {" + String.join(", ", iterable(p.paramsSchema().path("properties").fieldNames())) + "}"
                    : "";
            lines.add("• <code>" + Html.escape(p.permission() + params) + "</code> " + Html.escape(title(p
                    .displayInfo(), c.language(), p.permission())));
        }
        Pages.show(c, Pages.split(c.t("permissions.head", all.size()), lines, Pages.MAX), Pages.index(c, "pm:"),
                "pm:");
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
