package io.reside.contracts.telegram.v1;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;
import io.reside.model.manifest.DisplayText;

/**
 * The telegram replica's contract (SPEC 6.3): one bot, shared by the replicas that talk to people. Handlers register
 * here and receive the updates they asked for (telegram-handler.v1); they answer through {@code callBotApi}, which is
 * authorised (only for chats routed to them), rate-limited to Telegram's limits in one queue, deduplicated by
 * idempotency key, and never shows the bot token.
 */
@Contract(
        name = "telegram",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Telegram", description = "The bot: updates to handlers, the Bot API for them"),
                ru = @Text(title = "Телеграм", description = "Бот: обновления обработчикам, Bot API для них")))
@Permission(
        name = "handler:setup",
        params = TelegramApi.HandlerName.class,
        instanceKeys = "name",
        displayInfo = @DisplayInfo(
                en = @Text(
                        title = "Handler {name}",
                        description = "Register handler {name}, receive its updates, "
                                + "answer through the bot"),
                ru = @Text(
                        title = "Обработчик {name}",
                        description = "Регистрировать обработчик {name}, получать "
                                + "его обновления, отвечать через бота")))
@Permission(
        name = "handler:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See handlers", description = "See every registered handler"),
                ru = @Text(title = "Обработчики", description = "Просмотр всех обработчиков")))
@Permission(
        name = "user:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See Telegram users", description = "See everyone who wrote to the bot"),
                ru = @Text(title = "Пользователи Телеграма", description = "Просмотр всех, кто писал боту")))
@Permission(
        name = "api:call:any",
        displayInfo = @DisplayInfo(
                en = @Text(
                        title = "Write to any chat",
                        description = "Call the Bot API for any chat, not only the "
                                + "chats routed to the caller's handlers"),
                ru = @Text(
                        title = "Любой чат",
                        description = "Вызывать Bot API для любого чата, а не только "
                                + "для чатов своих обработчиков")))
@Path("/rpc/telegram.v1")
public interface TelegramApi {

    /** A handler name: 1 to 63 lower-case letters, digits and dashes (usually the replica's name). */
    String HANDLER_NAME = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** The update types a handler can ask for (Bot API {@code allowed_updates}). */
    String UPDATE_TYPE = "message|edited_message|callback_query|inline_query|chosen_inline_result|my_chat_member"
            + "|chat_member|chat_join_request";

    // ------------------------------------------------------------------ permission params

    record HandlerName(@NotBlank @Pattern(regexp = HANDLER_NAME) String name) {
    }

    // ------------------------------------------------------------------ data

    /**
     * A handler.
     *
     * @param ownerAccountId the account that registered it: updates go to it, signed for it
     * @param order lower first: updates are offered in this order until one is handled
     * @param timeoutMillis how long one offer may take before the next handler gets the update
     * @param endpoints access context → base URL of the owner's telegram-handler.v1 (as the SDK reports it)
     * @param instance the owner process that registered last (a disable from an older one is ignored)
     */
    record Handler(String name, String ownerAccountId, boolean enabled, List<String> allowedUpdates,
            Map<String, DisplayText> displayInfo, int order, int timeoutMillis, Map<String, String> endpoints,
            String instance, Instant registeredAt) {
    }

    /**
     * Someone who wrote to the bot, and the ReSide user they are (a managed user of realm {@code telegram}, created at
     * first contact).
     */
    record TelegramUser(long telegramId, String username, String firstName, String lastName, String languageCode,
            String userId, String accountId, Instant firstSeen, Instant updatedAt) {
    }

    record Page<T>(List<T> items, String next) {
    }

    /** The Bot API's {@code result}, with the bot token removed wherever it appeared. */
    record BotApiResult(JsonNode result) {
    }

    // ------------------------------------------------------------------ requests

    record RegisterHandler(@NotBlank @Pattern(regexp = HANDLER_NAME) String name,
            @NotNull @Size(min = 1, max = 8) List<@NotNull @Pattern(regexp = UPDATE_TYPE) String> allowedUpdates,
            Map<String, DisplayText> displayInfo,
            @Min(0) @Max(10_000) Integer order,
            @Min(50) @Max(60_000) Integer timeoutMillis,
            @NotNull @Size(
                    min = 1,
                    max = 3) Map<@NotBlank @Pattern(regexp = "internal|external|local") String, @NotBlank @Size(
                            max = 300) @Pattern(regexp = "https?://[^\\s]+") String> endpoints,
            @NotBlank @Size(max = 64) String instance) {
    }

    /** @param instance when disabling: only if this process is still the one registered (null: whoever it is) */
    record SetHandlerEnabled(@NotBlank @Pattern(regexp = HANDLER_NAME) String name, boolean enabled,
            @Size(max = 64) String instance) {
    }

    /**
     * One Bot API call.
     *
     * @param payload the method's parameters, as JSON
     * @param files uploads, sent to Telegram as multipart fields of these names (refer to them as the field itself, or
     *        as {@code attach://<name>} in media)
     * @param idempotencyKey calls with the same key (from the same caller) run once; the result is remembered 24 h
     */
    record BotApiCall(@NotBlank @Pattern(regexp = "[a-zA-Z]{1,64}") String method, ObjectNode payload,
            @Size(max = 10) Map<@Pattern(regexp = "[a-z_0-9]{1,32}") String, @Valid @NotNull FilePart> files,
            @Size(max = 200) String idempotencyKey) {
    }

    /** @param base64 the file's bytes (at most 10 MB decoded, Telegram's photo limit) */
    record FilePart(@NotBlank @Size(max = 200) String filename, @NotBlank @Size(max = 100) String contentType,
            @NotBlank @Size(max = 14_000_000) String base64) {
    }

    // ------------------------------------------------------------------ methods

    @POST
    @Path("registerHandler")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Register a handler", description = "Receive updates of the given types"),
                    ru = @Text(title = "Зарегистрировать обработчик", description = "Получать обновления")))
    @Requires(value = "handler:setup", instance = "request.name")
    Handler registerHandler(@Valid RegisterHandler request);

    @POST
    @Path("setHandlerEnabled")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Enable or disable a handler", description = "A disabled one gets nothing"),
                    ru = @Text(title = "Включить или выключить", description = "Выключенный ничего не получает")))
    @Requires(value = "handler:setup", instance = "request.name")
    Handler setHandlerEnabled(@Valid SetHandlerEnabled request);

    @GET
    @Path("listHandlers")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Handlers", description = "Every handler, in the order updates are offered"),
                    ru = @Text(title = "Обработчики", description = "Все обработчики в порядке вызова")))
    @Requires("handler:read:all")
    List<Handler> listHandlers();

    @POST
    @Path("callBotApi")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Call the Bot API",
                            description = "For owners of an enabled handler, in the "
                                    + "chats routed to it (any chat with api:call:any)"),
                    ru = @Text(
                            title = "Вызов Bot API",
                            description = "Для владельцев включённого обработчика, в их "
                                    + "чатах (в любом с api:call:any)")))
    BotApiResult callBotApi(@Valid BotApiCall request);

    @GET
    @Path("getTelegramUser")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "A Telegram user", description = "By Telegram id or @username"),
                    ru = @Text(title = "Пользователь Телеграма", description = "По id или @username")))
    @Requires("user:read:all")
    TelegramUser getTelegramUser(@QueryParam("telegramId") Long telegramId,
            @QueryParam("username") @Size(max = 64) String username);

    @GET
    @Path("listTelegramUsers")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Telegram users", description = "Everyone who wrote to the bot, by pages"),
                    ru = @Text(title = "Пользователи Телеграма", description = "Все, кто писал боту, постранично")))
    @Requires("user:read:all")
    Page<TelegramUser> listTelegramUsers(@QueryParam("after") String after,
            @QueryParam("limit") @Min(1) @Max(500) Integer limit);
}
