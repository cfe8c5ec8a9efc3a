package io.reside.permissions;

import java.time.Duration;

import io.reside.etcd.Store;

/**
 * A replica's reconciler in its own process, for {@link ReconcilerRestartIT}. Prints {@code HOOK <call>} for every
 * hook call, and blocks forever inside the hook of a grant whose description contains the optional fourth argument.
 * <p>
 * Arguments: endpoint cluster replica-id [block-on].
 */
public final class ReconcilerProcess {

    public static void main(String[] args) throws Exception {
        String blockOn = args.length > 3 ? args[3] : null;
        Store store = Store.connect(io.reside.etcd.StoreConfig.builder().endpoints(args[0]).cluster(args[1])
                .lockTtl(Duration.ofSeconds(2)).lockWaitTimeout(Duration.ofSeconds(2)).build());
        PermissionHooks hooks = new PermissionHooks() {
            @Override
            public void onGranted(Grant grant) {
                String call = "granted " + Fixture.RecordingHooks.describe(grant);
                System.out.println("HOOK " + call);
                if (blockOn != null && call.contains(blockOn)) {
                    System.out.println("BLOCKED");
                    sleepForever();
                }
            }
        };
        RcbView view = RcbView.open(store, args[2], Duration.ofSeconds(30));
        new PermissionReconciler(store, view, new HookRegistry().register(Fixture.DEMO, "item:read:all", hooks),
                ReconcilerOptions.DEFAULT).start();
        System.out.println("STARTED");
        sleepForever();
    }

    private static void sleepForever() {
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
