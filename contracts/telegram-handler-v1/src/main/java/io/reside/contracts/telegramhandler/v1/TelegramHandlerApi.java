package io.reside.contracts.telegramhandler.v1;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;

/**
 * What every Telegram-facing replica implements (SPEC 6.4): the telegram replica offers it the updates it asked for.
 * Only the telegram replica's account may call it (the handler SDK refuses every other caller).
 */
@Contract(
        name = "telegram-handler",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Telegram handler", description = "Answers people who write to the bot"),
                ru = @Text(title = "Обработчик Телеграма", description = "Отвечает тем, кто пишет боту")))
@Path("/rpc/telegram-handler.v1")
public interface TelegramHandlerApi {

    /**
     * One update, offered.
     *
     * @param update the Bot API {@code Update} as Telegram sent it
     * @param user who sent it, with the ReSide user they are
     * @param idempotencyKey the same for every offer of this update (it may be offered again after a crash): pass it
     *        on every {@code callBotApi} made while handling it, so that nothing is sent twice
     */
    record HandleUpdate(@NotNull ObjectNode update, @NotNull TelegramApi.TelegramUser user,
            @NotBlank @Size(max = 200) String idempotencyKey) {
    }

    /** @param handled true: no later handler gets the update */
    record Handled(boolean handled) {
    }

    @POST
    @Path("handleUpdate")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Handle an update", description = "Called by the telegram replica only"),
                    ru = @Text(title = "Обработать обновление", description = "Вызывает только реплика telegram")))
    Handled handleUpdate(@Valid HandleUpdate request);
}
