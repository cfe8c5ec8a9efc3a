package io.reside.secretary.users;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginUser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.ContractManifest;
import io.reside.runtime.PermissionChecks;
import io.reside.runtime.client.RequirementClients;
import io.reside.telegram.sdk.Conversation;
import io.reside.telegram.sdk.Html;
import io.reside.telegram.sdk.Keyboard;

/**
 * {@code /grant} and {@code /revoke} as a dialogue: pick a person, a contract, a permission, fill its params, confirm.
 * The dialogue's state is a form in etcd, one per chat and person, whose id every button carries: a button of an
 * older dialogue, or of one that expired (30 minutes), is answered with a short alert and changes nothing. The grant
 * or revocation itself runs as the person, so the User Manager decides whether they may.
 */
@ApplicationScoped
public class GrantDialog {

    static final Duration LIFETIME = Duration.ofMinutes(30);

    /**
     * One dialogue.
     *
     * @param kind {@code grant} or {@code revoke}
     * @param field the param being asked (index into the permission's fields)
     * @param grants for a revocation: the person's own grants, as offered
     */
    @io.quarkus.runtime.annotations.RegisterForReflection // an etcd document
    record Form(String id, String kind, String targetUserId, String label, String contract, String permission,
            ObjectNode params, int field, List<UserManagerApi.UserGrant> grants, Instant expiresAt) {

        Form with(String contract, String permission, ObjectNode params, int field) {
            return new Form(id, kind, targetUserId, label, contract, permission, params, field, grants, expiresAt);
        }
    }

    static final DocType<Form> FORM = DocType.of("secretary-grant-form", Form.class);

    @Inject
    Store store;

    @Inject
    ContractTitles titles;

    @Inject
    RequirementClients clients;

    @Inject
    PermissionChecks checks;

    private final SecureRandom random = new SecureRandom();

    private TelegramApi telegram() {
        return clients.client("telegram", TelegramApi.class);
    }

    private String key(Conversation c) {
        String replica = checks.view().map(v -> v.rcb().id()).orElse("unknown");
        return "secretary/" + replica + "/forms/" + c.chatId() + "/" + c.user().telegramId();
    }

    private Optional<Form> form(Conversation c, String id) {
        return store.find(FORM, key(c)).map(v -> v.value()).filter(f -> f.id().equals(id) && f.expiresAt().isAfter(
                Instant.now()));
    }

    private void save(Conversation c, Form f) {
        store.run(tx -> {
            tx.put(FORM, key(c), f);
            return null;
        });
    }

    private void forget(Conversation c) {
        store.run(tx -> {
            tx.delete(key(c));
            return null;
        });
    }

    private static void stale(Conversation c) {
        c.answerCallback(c.t("stale"), true);
    }

    /** Whether the person may manage permissions at all; if not they are told what they need. */
    private boolean mayManage(Conversation c) {
        if (UsersBot.holds(UsersBot.um(c).getMe(), UsersBot.MANAGE, null)) {
            return true;
        }
        c.needs(UsersBot.MANAGE, titles.contractTitle(UsersBot.UM, c.language()));
        return false;
    }

    static String label(TelegramApi.TelegramUser u) {
        String name = (u.firstName() == null ? "" : u.firstName()) + (u.lastName() == null ? "" : " " + u.lastName());
        return (name.isBlank() ? String.valueOf(u.telegramId()) : name.strip())
                + (u.username() == null ? "" : " @" + u.username());
    }

    // ------------------------------------------------------------------ grant

    void start(Conversation c) {
        start(c, "grant");
    }

    void startRevoke(Conversation c) {
        start(c, "revoke");
    }

    /**
     * The person is named ({@code /grant @username}), or is the author of the forwarded message the command replies
     * to, or is picked from a page of the people who wrote to the bot.
     */
    private void start(Conversation c, String kind) {
        if (!mayManage(c)) {
            return;
        }
        Message replied = c.update().hasMessage() ? c.update().getMessage().getReplyToMessage() : null;
        TelegramApi.TelegramUser u;
        try {
            if (!c.args().isEmpty()) {
                u = telegram().getTelegramUser(null, c.args().startsWith("@") ? c.args().substring(1) : c.args());
            } else if (replied != null && replied.getForwardOrigin() != null) {
                if (!(replied.getForwardOrigin() instanceof MessageOriginUser origin)) {
                    c.reply(c.t("forward.hidden"));
                    return;
                }
                u = telegram().getTelegramUser(origin.getSenderUser().getId(), null);
            } else {
                pickUser(c, kind.substring(0, 1), null);
                return;
            }
        } catch (ResideException.NotFoundException | ResideException.InvalidInputException e) {
            c.reply(c.args().isEmpty() ? c.t("nobody.forwarded") : c.t("nobody", Html.escape(c.args())));
            return;
        }
        try {
            begin(c, kind, u);
        } catch (ResideException.PermissionDeniedException e) {
            c.needs(UsersBot.MANAGE, titles.contractTitle(UsersBot.UM, c.language()));
        }
    }

    /** A page of the people who wrote to the bot, one button each. */
    private void pickUser(Conversation c, String kind, String after) {
        TelegramApi.Page<TelegramApi.TelegramUser> page = telegram().listTelegramUsers(after, UsersBot.PAGE);
        Keyboard k = new Keyboard();
        for (TelegramApi.TelegramUser u : page.items()) {
            if (u.userId() != null) {
                k.row(Keyboard.Button.callback(clip(label(u)), kind + ":u:" + u.telegramId()));
            }
        }
        k.row(UsersBot.navigation(c, after, page.next(), kind + ":up:"));
        k.row(Keyboard.Button.callback(c.t("cancel"), "x:"));
        show(c, c.t(kind.equals("g") ? "grant.pick.user" : "revoke.pick.user"), k);
    }

    static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 39) + "…" : s;
    }

    /** A new form for the chosen person: any older dialogue of this chat and person is over. */
    private void begin(Conversation c, String kind, TelegramApi.TelegramUser target) {
        byte[] id = new byte[4];
        random.nextBytes(id);
        List<UserManagerApi.UserGrant> own = List.of();
        if (kind.equals("revoke")) {
            own = UsersBot.um(c).listUserGrants(target.userId()).stream().filter(g -> "own".equals(g.via())).toList();
        }
        Form f = new Form(HexFormat.of().formatHex(id), kind, target.userId(), label(target), null, null,
                JsonNodeFactory.instance.objectNode(), 0, own, Instant.now().plus(LIFETIME));
        save(c, f);
        if (kind.equals("grant")) {
            pickContract(c, f);
        } else {
            pickGrant(c, f);
        }
    }

    private void show(Conversation c, String html, Keyboard k) {
        if (c.update().hasCallbackQuery()) {
            c.edit(html, k);
        } else {
            c.reply(html, k);
        }
    }

    private void pickContract(Conversation c, Form f) {
        Keyboard k = new Keyboard();
        for (ContractManifest m : titles.contracts()) {
            if (!m.permissions().isEmpty()) {
                k.row(Keyboard.Button.callback(clip(ContractTitles.title(m.displayInfo(), c.language(), m.identity())),
                        "g:c:" + f.id() + "|" + m.identity()));
            }
        }
        k.row(Keyboard.Button.callback(c.t("cancel"), "x:"));
        show(c, c.t("grant.pick.contract", Html.escape(f.label())), k);
    }

    /**
     * The first steps of both dialogues: another page of people ({@code up:<cursor>}) or the person chosen
     * ({@code u:<telegramId>}), which begins the form.
     *
     * @return whether the step was one of these
     */
    private boolean pickStep(Conversation c, String kind, String step) {
        if (step.startsWith("up:")) {
            c.answerCallback(null, false);
            if (mayManage(c)) {
                pickUser(c, kind.substring(0, 1), step.substring(3));
            }
            return true;
        }
        if (!step.startsWith("u:")) {
            return false;
        }
        c.answerCallback(null, false);
        TelegramApi.TelegramUser u;
        try {
            u = telegram().getTelegramUser(Long.parseLong(step.substring(2)), null);
        } catch (ResideException.NotFoundException | NumberFormatException e) {
            c.edit(c.t("stale.user"), null);
            return true;
        }
        try {
            begin(c, kind, u);
        } catch (ResideException.PermissionDeniedException e) {
            c.needs(UsersBot.MANAGE, titles.contractTitle(UsersBot.UM, c.language()));
        }
        return true;
    }

    void grantStep(Conversation c) {
        String step = c.data().substring(2);
        if (pickStep(c, "grant", step)) {
            return;
        }
        String[] parts = step.substring(step.indexOf(':') + 1).split("\\|", 2);
        Optional<Form> found = form(c, parts[0]);
        if (found.isEmpty() || !found.get().kind().equals("grant")) {
            stale(c);
            return;
        }
        Form f = found.get();
        if (step.startsWith("c:")) {
            c.answerCallback(null, false);
            Optional<ContractManifest> m = titles.contract(parts[1]);
            if (m.isEmpty()) {
                c.edit(c.t("stale.contract"), null);
                return;
            }
            f = f.with(parts[1], null, JsonNodeFactory.instance.objectNode(), 0);
            save(c, f);
            Keyboard k = new Keyboard();
            m.get().permissions().forEach((name, p) -> k.row(Keyboard.Button.callback(clip(ContractTitles.title(
                    p.displayInfo(), c.language(), name) + " · " + name), "g:p:" + parts[0] + "|" + name)));
            k.row(Keyboard.Button.callback(c.t("cancel"), "x:"));
            c.edit(c.t("grant.pick.permission", Html.escape(f.label()), Html.escape(ContractTitles.title(
                    m.get().displayInfo(), c.language(), parts[1]))), k);
        } else if (step.startsWith("p:")) {
            c.answerCallback(null, false);
            ContractManifest.Permission p = permission(f.contract(), parts[1]);
            if (p == null) {
                c.edit(c.t("stale.contract"), null);
                return;
            }
            f = f.with(f.contract(), parts[1], JsonNodeFactory.instance.objectNode(), 0);
            save(c, f);
            next(c, f);
        } else if (step.startsWith("v:") || step.startsWith("s:")) {
            ContractManifest.Permission p = permission(f.contract(), f.permission());
            List<ParamsForm.Field> fields = p == null ? List.of() : ParamsForm.fields(p.params());
            if (f.field() >= fields.size()) {
                stale(c);
                return;
            }
            ParamsForm.Field field = fields.get(f.field());
            ObjectNode params = f.params().deepCopy();
            if (step.startsWith("v:")) {
                try {
                    params.set(field.name(), ParamsForm.value(p.params(), field, parts[1]));
                } catch (IllegalArgumentException e) {
                    c.answerCallback(e.getMessage(), true);
                    return;
                }
            } else if (field.required()) {
                c.answerCallback(c.t("param.required", field.name()), true);
                return;
            }
            c.answerCallback(null, false);
            f = f.with(f.contract(), f.permission(), params, f.field() + 1);
            save(c, f);
            next(c, f);
        } else if (step.startsWith("ok:")) {
            c.answerCallback(null, false);
            confirmGrant(c, f);
        } else {
            stale(c);
        }
    }

    private ContractManifest.Permission permission(String contract, String permission) {
        return contract == null || permission == null ? null
                : titles.contract(contract).map(m -> m.permissions().get(permission)).orElse(null);
    }

    /**
     * Asks the next param, or shows what will be granted and asks to confirm: in place after a press, as a new
     * message after a typed value.
     */
    private void next(Conversation c, Form f) {
        ContractManifest.Permission p = permission(f.contract(), f.permission());
        List<ParamsForm.Field> fields = p == null ? List.of() : ParamsForm.fields(p.params());
        Keyboard k = new Keyboard();
        String html;
        if (f.field() < fields.size()) {
            ParamsForm.Field field = fields.get(f.field());
            List<Keyboard.Button> choices = new ArrayList<>();
            for (String choice : field.choices()) {
                choices.add(Keyboard.Button.callback(clip(choice), "g:v:" + f.id() + "|" + choice));
            }
            for (int i = 0; i < choices.size(); i += 3) {
                k.row(choices.subList(i, Math.min(i + 3, choices.size())).toArray(Keyboard.Button[]::new));
            }
            if (!field.required()) {
                k.row(Keyboard.Button.callback(c.t("param.skip"), "g:s:" + f.id()));
            }
            html = c.t(field.kind() == ParamsForm.Kind.CHOICE ? "param.choose" : "param.type",
                    Html.escape(field.name()), Html.escape(field.description()), f.field() + 1, fields.size());
        } else {
            List<String> problems = p == null ? List.of("the permission is gone")
                    : ParamsForm.problems(p.params(), f.params());
            if (!problems.isEmpty()) {
                html = c.t("param.problems", Html.escape(String.join("; ", problems)));
            } else {
                html = c.t("grant.confirm", describe(c, f.contract(), f.permission(), f.params()), Html.escape(
                        f.label()));
                k.row(Keyboard.Button.callback(c.t("grant.do"), "g:ok:" + f.id()));
            }
        }
        k.row(Keyboard.Button.callback(c.t("cancel"), "x:"));
        show(c, html, k);
    }

    private String describe(Conversation c, String contract, String permission, JsonNode params) {
        return titles.describe(titles.contract(contract).orElse(null), contract, permission, params, c.language());
    }

    private void confirmGrant(Conversation c, Form f) {
        UserManagerApi um = UsersBot.um(c);
        try {
            boolean present = um.listUserGrants(f.targetUserId()).stream().anyMatch(g -> "own".equals(g.via())
                    && g.contract().equals(f.contract()) && g.permission().equals(f.permission())
                    && sameParams(g.params(), f.params()));
            um.grantPermission(new UserManagerApi.GrantPermission(f.targetUserId(), f.contract(), f.permission(),
                    f.params()));
            forget(c);
            c.edit(c.t(present ? "grant.present" : "grant.added", describe(c, f.contract(), f.permission(),
                    f.params()), Html.escape(f.label())), null);
        } catch (ResideException.PermissionDeniedException e) {
            c.needs(UsersBot.MANAGE, titles.contractTitle(UsersBot.UM, c.language()));
        } catch (ResideException.InvalidInputException | ResideException.NotFoundException e) {
            c.edit(c.t("failed", Html.escape(e.getMessage())), null);
        }
    }

    static boolean sameParams(JsonNode a, JsonNode b) {
        boolean emptyA = a == null || a.isNull() || a.isEmpty();
        boolean emptyB = b == null || b.isNull() || b.isEmpty();
        return emptyA && emptyB || a != null && a.equals(b);
    }

    /** A message typed while a param is asked: its value. Other messages are left to the next handler. */
    boolean typed(Conversation c) {
        if (c.user() == null || c.text() == null) {
            return false;
        }
        Optional<Form> found = store.find(FORM, key(c)).map(v -> v.value()).filter(f -> f.expiresAt().isAfter(
                Instant.now()) && f.kind().equals("grant"));
        if (found.isEmpty()) {
            return false;
        }
        Form f = found.get();
        ContractManifest.Permission p = permission(f.contract(), f.permission());
        List<ParamsForm.Field> fields = p == null ? List.of() : ParamsForm.fields(p.params());
        if (f.field() >= fields.size() || fields.get(f.field()).kind() == ParamsForm.Kind.CHOICE) {
            return false;
        }
        ParamsForm.Field field = fields.get(f.field());
        ObjectNode params = f.params().deepCopy();
        try {
            params.set(field.name(), ParamsForm.value(p.params(), field, c.text()));
        } catch (IllegalArgumentException e) {
            c.reply(c.t("param.invalid", Html.escape(e.getMessage())));
            next(c, f);
            return true;
        }
        f = f.with(f.contract(), f.permission(), params, f.field() + 1);
        save(c, f);
        next(c, f);
        return true;
    }

    // ------------------------------------------------------------------ revoke

    void revokeStep(Conversation c) {
        String step = c.data().substring(2);
        if (pickStep(c, "revoke", step)) {
            return;
        }
        String[] parts = step.substring(step.indexOf(':') + 1).split("\\|", 2);
        Optional<Form> found = form(c, parts[0]);
        if (found.isEmpty() || !found.get().kind().equals("revoke")) {
            stale(c);
            return;
        }
        Form f = found.get();
        if (step.startsWith("g:")) {
            int i;
            try {
                i = Integer.parseInt(parts[1]);
            } catch (RuntimeException e) {
                stale(c);
                return;
            }
            if (i < 0 || i >= f.grants().size()) {
                stale(c);
                return;
            }
            c.answerCallback(null, false);
            UserManagerApi.UserGrant g = f.grants().get(i);
            save(c, f.with(g.contract(), g.permission(), g.params(), i));
            c.edit(c.t("revoke.confirm", describe(c, g.contract(), g.permission(), g.params()), Html.escape(
                    f.label())), Keyboard.of(Keyboard.Button.callback(c.t("revoke.do"), "r:ok:" + f.id()),
                            Keyboard.Button.callback(c.t("cancel"), "x:")));
        } else if (step.startsWith("ok:") && f.permission() != null) {
            c.answerCallback(null, false);
            try {
                UsersBot.um(c).revokePermission(new UserManagerApi.GrantPermission(f.targetUserId(), f.contract(),
                        f.permission(), f.params()));
                forget(c);
                c.edit(c.t("revoke.done", describe(c, f.contract(), f.permission(), f.params()), Html.escape(
                        f.label())), null);
            } catch (ResideException.NotFoundException e) {
                forget(c);
                c.edit(c.t("revoke.gone"), null);
            } catch (ResideException.PermissionDeniedException e) {
                c.needs(UsersBot.MANAGE, titles.contractTitle(UsersBot.UM, c.language()));
            }
        } else {
            stale(c);
        }
    }

    private void pickGrant(Conversation c, Form f) {
        if (f.grants().isEmpty()) {
            show(c, c.t("revoke.none", Html.escape(f.label())), null);
            return;
        }
        Keyboard k = new Keyboard();
        Map<String, ContractManifest> contracts = new java.util.HashMap<>();
        titles.contracts().forEach(m -> contracts.put(m.identity(), m));
        for (int i = 0; i < f.grants().size(); i++) {
            UserManagerApi.UserGrant g = f.grants().get(i);
            ContractManifest m = contracts.get(g.contract());
            ContractManifest.Permission p = m == null ? null : m.permissions().get(g.permission());
            String text = (p == null ? g.permission()
                    : ContractTitles.title(p.displayInfo(), c.language(),
                            g.permission()))
                    + (g.params() == null || g.params().isEmpty() ? "" : " " + g.params());
            k.row(Keyboard.Button.callback(clip(text), "r:g:" + f.id() + "|" + i));
        }
        k.row(Keyboard.Button.callback(c.t("cancel"), "x:"));
        show(c, c.t("revoke.pick.grant", Html.escape(f.label())), k);
    }

    // ------------------------------------------------------------------ both

    void cancel(Conversation c) {
        c.answerCallback(null, false);
        forget(c);
        c.edit(c.t("cancelled"), null);
    }
}
