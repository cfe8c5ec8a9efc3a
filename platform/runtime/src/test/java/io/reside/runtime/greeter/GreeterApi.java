package io.reside.runtime.greeter;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;

/** A test contract: one open method, one plain permission, one instance-scoped permission. */
@Contract(
        name = "greeter",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Greeter", description = "Greets callers"),
                ru = @Text(title = "Приветствие", description = "Приветствует")))
@Permission(
        name = "greet:any",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Be greeted", description = "Call greet"),
                ru = @Text(title = "Приветствие", description = "Вызов greet")))
@Permission(
        name = "room:enter",
        params = GreeterApi.RoomParams.class,
        instanceKeys = "room",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Enter room {room}", description = "Enter the room {room}"),
                ru = @Text(title = "Вход в {room}", description = "Вход в комнату {room}")))
@Path("/rpc/greeter.v1")
public interface GreeterApi {

    record RoomParams(String room) {
    }

    record EnterRequest(String room, @NotBlank String who) {
    }

    @GET
    @Path("hello")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Hello", description = "Any caller"),
                    ru = @Text(title = "Привет", description = "Любой")))
    String hello();

    @GET
    @Path("greet")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Greet", description = "Needs greet:any"),
                    ru = @Text(title = "Привет", description = "Нужно greet:any")))
    @Requires("greet:any")
    String greet();

    @POST
    @Path("enter")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Enter", description = "Needs room:enter"),
                    ru = @Text(title = "Войти", description = "Нужно room:enter")))
    @Requires(value = "room:enter", instance = "request.room")
    String enter(@Valid EnterRequest request);

    @GET
    @Path("whoIsIn")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Who is in", description = "Needs room:enter"),
                    ru = @Text(title = "Кто здесь", description = "Нужно room:enter")))
    @Requires(value = "room:enter", instance = "room")
    String whoIsIn(@QueryParam("room") String room);

    @POST
    @Path("ping")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Ping", description = "Any caller; answers nothing"),
                    ru = @Text(title = "Пинг", description = "Любой; ничего не отвечает")))
    void ping();
}
