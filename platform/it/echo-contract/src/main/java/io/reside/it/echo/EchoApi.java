package io.reside.it.echo;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;

/** A test contract: one permission-checked method, one open method telling who called, one slow method. */
@Contract(
        name = "echo",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Echo", description = "Answers what it is told"),
                ru = @Text(title = "Эхо", description = "Отвечает тем же")))
@Permission(
        name = "echo:call",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Call echo", description = "Call echo and slow"),
                ru = @Text(title = "Вызов echo", description = "Вызов echo и slow")))
@Path("/rpc/echo.v1")
public interface EchoApi {

    record EchoRequest(@NotBlank String text) {
    }

    record SlowRequest(@Min(0) long millis) {
    }

    /** What the provider saw: the text, who made the call, and through whom. */
    record EchoReply(String text, String madeBy, String actor) {
    }

    @POST
    @Path("echo")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Echo", description = "Returns the text"),
                    ru = @Text(title = "Эхо", description = "Возвращает текст")))
    @Requires("echo:call")
    EchoReply echo(@Valid EchoRequest request);

    @POST
    @Path("slow")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Slow echo", description = "Answers after a while"),
                    ru = @Text(title = "Медленное эхо", description = "Отвечает не сразу")))
    @Requires("echo:call")
    EchoReply slow(@Valid SlowRequest request);

    @GET
    @Path("whoAmI")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Who am I", description = "Any caller"),
                    ru = @Text(title = "Кто я", description = "Любой вызывающий")))
    EchoReply whoAmI();
}
