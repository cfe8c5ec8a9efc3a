package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.reside.etcd.TestStores.Counter;

/**
 * A separate process for {@link LockCrashIT}: takes a lock, writes inside the locked transaction, prints
 * {@code HOLDING token=<fencing token>}, then waits for a line on standard input before it commits. Prints
 * {@code LOST} when it notices it lost the lock and {@code FENCED <message>} (exit 3) when its commit is refused.
 * <p>
 * Arguments: endpoint cluster lock-name ttl-seconds.
 */
public final class LockHolder {

    public static void main(String[] args) throws Exception {
        StoreConfig config = StoreConfig.builder().endpoints(args[0]).cluster(args[1])
                .lockTtl(Duration.ofSeconds(Long.parseLong(args[3]))).callTimeout(Duration.ofSeconds(2)).build();
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Store store = Store.connect(config)) {
            store.locked(args[2], tx -> {
                HeldLock lock = tx.lock().orElseThrow();
                lock.onLost(() -> System.out.println("LOST"));
                tx.put(COUNTER, "partial/a", new Counter(1));
                tx.put(COUNTER, "partial/b", new Counter(1));
                System.out.println("HOLDING token=" + lock.fencingToken());
                try {
                    stdin.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                tx.put(COUNTER, "owner", new Counter(1));
                return null;
            });
            System.out.println("COMMITTED");
        } catch (LockLostException e) {
            System.out.println("FENCED " + e.getMessage());
            System.exit(3);
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);
    }
}
