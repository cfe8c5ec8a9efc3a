package io.reside.it.oneshot;

import java.time.Instant;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.runtime.ResideConfig;

/**
 * The job: records one run under {@code oneshot/<replica id>/runs/} in its replica's data, then exits with
 * {@code oneshot.exit-code} (0 unless a test makes it fail).
 */
@QuarkusMain
public class Job implements QuarkusApplication {

    /** One run of the job. */
    @io.quarkus.runtime.annotations.RegisterForReflection // written and read as JSON
    public record Run(String id, Instant at) {
    }

    public static final DocType<Run> RUN = DocType.of("oneshot-run", Run.class);

    @Inject
    Store store;

    @Inject
    ResideConfig reside;

    @ConfigProperty(name = "oneshot.exit-code", defaultValue = "0")
    int exitCode;

    @Override
    public int run(String... args) {
        String replica = reside.controlBlockId().orElse("unknown");
        String id = UUID.randomUUID().toString();
        store.run(tx -> {
            tx.put(RUN, "oneshot/" + replica + "/runs/" + id, new Run(id, Instant.now()));
            return null;
        });
        System.out.println("oneshot run " + id + " recorded; exiting with " + exitCode);
        return exitCode;
    }
}
