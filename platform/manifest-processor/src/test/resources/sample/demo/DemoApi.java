package demo;

import java.util.List;
import java.util.Optional;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.LocalizedText;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;

@Contract(name = "demo", version = 1, displayInfo = @DisplayInfo(
        en = @Text(title = "Demo", description = "A contract for tests"),
        ru = @Text(title = "Демо", description = "Контракт для тестов"),
        others = @LocalizedText(locale = "de", title = "Demo", description = "Ein Vertrag für Tests")))
@Permission(name = "item:read:all", displayInfo = @DisplayInfo(
        en = @Text(title = "Read all items", description = "List and read every item"),
        ru = @Text(title = "Чтение всех элементов", description = "Просмотр любых элементов")))
@Permission(name = "realm:read", params = DemoApi.RealmParams.class, instanceKeys = "name", displayInfo = @DisplayInfo(
        en = @Text(title = "Read realm {name}", description = "Read the realm {name}"),
        ru = @Text(title = "Чтение области {name}", description = "Просмотр области {name}")))
@Permission(name = "handler:setup", params = DemoApi.HandlerParams.class, instanceKeys = "name", displayInfo = @DisplayInfo(
        en = @Text(title = "Set up handler {name}", description = "Register the handler {name}"),
        ru = @Text(title = "Настройка обработчика {name}", description = "Регистрация обработчика {name}")))
@Path("/rpc/demo.v1")
public interface DemoApi {

    record RealmParams(@NotBlank String name) {
    }

    enum Kind {
        MESSAGE,
        CALLBACK
    }

    record HandlerParams(@Pattern(regexp = "[a-z{}.-]+") String name, @Min(1) @Max(100) int limit,
            boolean enabled, Optional<String> note, Optional<List<Kind>> kinds) {
    }

    record Item(String id, String title) {
    }

    record CreateItemRequest(String realm, String title) {
    }

    @GET
    @Path("listItems")
    @RpcMethod(displayInfo = @DisplayInfo(en = @Text(title = "List items", description = "Every item"),
            ru = @Text(title = "Список элементов", description = "Все элементы")))
    @Requires("item:read:all")
    List<Item> listItems();

    @GET
    @Path("getRealm")
    @RpcMethod(displayInfo = @DisplayInfo(en = @Text(title = "Get a realm", description = "One realm by name"),
            ru = @Text(title = "Область", description = "Одна область по имени")))
    @Requires(value = "realm:read", instance = "name")
    String getRealm(@QueryParam("name") String name);

    @POST
    @Path("createItem")
    @RpcMethod(displayInfo = @DisplayInfo(en = @Text(title = "Create an item", description = "In a realm"),
            ru = @Text(title = "Создать элемент", description = "В области")))
    @Requires(value = "realm:read", instance = "request.realm")
    Item createItem(CreateItemRequest request);

    @GET
    @Path("ping")
    @RpcMethod(displayInfo = @DisplayInfo(en = @Text(title = "Ping", description = "Any caller"),
            ru = @Text(title = "Пинг", description = "Любой вызывающий")))
    String ping();
}
