package io.reside.secretary.users;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.manifest.ContractManifest;
import io.reside.runtime.Contracts;
import io.reside.runtime.client.RequirementClients;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;
import io.reside.telegram.sdk.Pages;
import io.reside.telegram.sdk.Routes;
import io.reside.telegram.sdk.TelegramBot;

/**
 * The User Manager's secretary: {@code /profile}, {@code /users}, {@code /grant} and {@code /revoke}. Everything that
 * reads or changes people's data runs as the person who asks (a delegation from the User Manager), so the answer is
 * exactly what they may see or do; the secretary's own rights only list the Telegram users to pick from, for people
 * who may manage permissions.
 */
@ApplicationScoped
public class UsersBot implements TelegramBot {

    static final String UM = Contracts.of(UserManagerApi.class).identity();
    static final String MANAGE = "user:permission:manage:all";
    static final int PAGE = 8;

    @Inject
    ContractTitles titles;

    @Inject
    GrantDialog dialog;

    @Inject
    RequirementClients clients;

    @Override
    public void routes(Routes routes) {
        routes.command("profile", "profile.description", this::profile)
                .callback("pf:", this::profile)
                .command("users", "users.description", c -> users(c, null))
                .command("grant", "grant.description", dialog::start)
                .command("revoke", "revoke.description", dialog::startRevoke)
                .callback("us:", c -> users(c, c.data().substring(3)))
                .callback("g:", dialog::grantStep)
                .callback("r:", dialog::revokeStep)
                .callback("x:", dialog::cancel)
                .text(dialog::typed);
    }

    static UserManagerApi um(Conversation c) {
        return c.as("users", UserManagerApi.class);
    }

    /** Whether the person holds {@code permission} of the User Manager (for a realm, when given). */
    static boolean holds(UserManagerApi.Me me, String permission, String realm) {
        return me.grants().stream().anyMatch(g -> g.contract().equals(UM) && g.permission().equals(permission)
                && (realm == null || g.params() != null && realm.equals(g.params().path("realm").asText())));
    }

    Map<String, ContractManifest> contracts() {
        return titles.contracts().stream().collect(Collectors.toMap(ContractManifest::identity, Function.identity()));
    }

    String umTitle(Conversation c) {
        return titles.contractTitle(UM, c.language());
    }

    private void profile(Conversation c) {
        UserManagerApi.Me me = um(c).getMe();
        TelegramApi.TelegramUser tg = c.user();
        StringBuilder html = new StringBuilder(c.t("profile.head", tg.telegramId(),
                tg.username() == null ? "—" : "@" + Html.escape(tg.username()), Html.escape(me.user().id()),
                Html.escape(me.user().accountId()), Html.escape(me.user().realm())));
        Map<String, ContractManifest> contracts = contracts();
        List<String> lines = new ArrayList<>();
        for (UserManagerApi.UserGrant g : me.grants()) {
            lines.add("• " + titles.describe(contracts.get(g.contract()), g.contract(), g.permission(), g.params(),
                    c.language()) + " <i>" + Html.escape(via(c, g.via())) + "</i>");
        }
        html.append("\n\n").append(lines.isEmpty() ? c.t("profile.none") : c.t("profile.grants", lines.size()));
        // one message holds up to 4096 characters: a long list of grants is turned a page at a time
        Pages.show(c, Pages.split(html.toString(), lines, Pages.MAX), Pages.index(c, "pf:"), "pf:");
    }

    static String via(Conversation c, String via) {
        if (via == null || via.equals("own")) {
            return c.t("via.own");
        }
        return via.startsWith("default:") ? c.t("via.default", via.substring("default:".length())) : via;
    }

    /** One page of users as the person may see them; {@code after} is the page cursor (null: the first page). */
    private void users(Conversation c, String after) {
        if (c.update().hasCallbackQuery()) {
            c.answerCallback(null, false);
        }
        UserManagerApi users = um(c);
        UserManagerApi.Me me = users.getMe();
        String realm = null;
        if (!holds(me, "user:read:all", null)) {
            realm = me.grants().stream().filter(g -> g.contract().equals(UM) && g.permission().equals(
                    "user:read:realm")).map(g -> g.params().path("realm").asText()).findFirst().orElse(null);
            if (realm == null) {
                c.needs("user:read:all", umTitle(c));
                return;
            }
        }
        UserManagerApi.Page<UserManagerApi.User> page = users.listUsers(realm, after == null || after.isEmpty()
                ? null
                : after, PAGE);
        boolean counts = holds(me, MANAGE, null);
        List<String> lines = new ArrayList<>();
        for (UserManagerApi.User u : page.items()) {
            String grants = counts ? String.valueOf(users.listUserGrants(u.id()).size()) : "—";
            lines.add(c.t("users.line", Html.escape(u.name()), Html.escape(u.realm()), grants, Html.escape(u.id())));
        }
        String html = c.t(realm == null ? "users.head" : "users.head.realm", Html.escape(realm)) + "\n"
                + (lines.isEmpty() ? c.t("users.none") : String.join("\n", lines));
        Keyboard.Button[] buttons = navigation(c, after, page.next(), "us:");
        Keyboard nav = buttons.length == 0 ? null : Keyboard.of(buttons);
        if (c.update().hasCallbackQuery()) {
            c.edit(html, nav);
        } else {
            c.reply(html, nav);
        }
    }

    /** "⏮ First" when not on the first page, "Next ▶" when there is one. */
    static Keyboard.Button[] navigation(Conversation c, String after, String next, String prefix) {
        List<Keyboard.Button> row = new ArrayList<>();
        if (after != null && !after.isEmpty()) {
            row.add(Keyboard.Button.callback(c.t("page.first"), prefix));
        }
        if (next != null && !next.isEmpty()) {
            row.add(Keyboard.Button.callback(c.t("page.next"), prefix + next));
        }
        return row.toArray(Keyboard.Button[]::new);
    }
}
