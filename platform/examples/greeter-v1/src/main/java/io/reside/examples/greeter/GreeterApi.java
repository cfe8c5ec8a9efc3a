package io.reside.examples.greeter;

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

/** The contract of the developer guide: greets callers, and lets them into rooms they were granted. */
@Contract(
        name = "greeter",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Greeter", description = "Greets callers"),
                ru = @Text(title = "Приветствие", description = "Приветствует вызывающих")))
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

    /** The params of a room:enter grant; its JSON Schema is generated into the manifest. */
    record RoomParams(@NotBlank String room) {
    }

    record GreetRequest(@NotBlank String name) {
    }

    record Greeting(String text) {
    }

    record EnterRequest(@NotBlank String room, @NotBlank String who) {
    }

    @POST
    @Path("greet")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Greet", description = "Needs greet:any"),
                    ru = @Text(title = "Приветствовать", description = "Нужно greet:any")))
    @Requires("greet:any")
    Greeting greet(@Valid GreetRequest request);

    @POST
    @Path("enter")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Enter", description = "Needs room:enter for the room"),
                    ru = @Text(title = "Войти", description = "Нужно room:enter для комнаты")))
    @Requires(value = "room:enter", instance = "request.room")
    String enter(@Valid EnterRequest request);

    @GET
    @Path("whoIsIn")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Who is in", description = "Any caller"),
                    ru = @Text(title = "Кто здесь", description = "Любой вызывающий")))
    String whoIsIn(@QueryParam("room") String room);
}
