package io.reside.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import io.reside.etcd.HeldLock;
import io.reside.etcd.LockLostException;
import io.reside.etcd.TxFunction;
import io.reside.etcd.TxOptions;

/**
 * A lock held through a lease, and the keep-alive of that lease. The lease is renewed every third of its TTL; the
 * lock counts as lost, for good, when a renewal reports the lease gone or when no renewal has succeeded for a whole
 * TTL (the lease may then have expired on the server).
 */
final class HeldLockImpl implements HeldLock {

    private static final Logger LOG = Logger.getLogger(HeldLockImpl.class);

    private final String name;
    private final long leaseId;
    private final long ttlSeconds;
    private final Connection connection;
    private final EtcdStore store;
    private final List<Runnable> onLost = new ArrayList<>();
    private ScheduledFuture<?> keepAlive;
    private volatile long validUntilNanos;
    private volatile boolean lost;
    private volatile boolean released;
    private ByteString key;
    private long revision;

    HeldLockImpl(String name, long leaseId, long ttlSeconds, long grantedAtNanos, Connection connection,
            EtcdStore store) {
        this.store = store;
        this.name = name;
        this.leaseId = leaseId;
        this.ttlSeconds = ttlSeconds;
        this.connection = connection;
        this.validUntilNanos = grantedAtNanos + TimeUnit.SECONDS.toNanos(ttlSeconds);
    }

    void startKeepAlive(ScheduledExecutorService scheduler) {
        long period = Math.max(200, TimeUnit.SECONDS.toMillis(ttlSeconds) / 3);
        keepAlive = scheduler.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    void acquired(ByteString key, long revision) {
        this.key = key;
        this.revision = revision;
    }

    long leaseId() {
        return leaseId;
    }

    ByteString key() {
        return key;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long fencingToken() {
        return revision;
    }

    @Override
    public boolean isHeld() {
        if (!lost && System.nanoTime() - validUntilNanos > 0) {
            markLost("no keep-alive succeeded within its " + ttlSeconds + " s TTL");
        }
        return !lost;
    }

    @Override
    public void checkHeld() {
        if (!isHeld()) {
            throw new LockLostException("lock '" + name + "' is no longer held by this process: its lease expired or "
                    + "was revoked");
        }
    }

    @Override
    public void onLost(Runnable action) {
        boolean runNow;
        synchronized (onLost) {
            runNow = lost;
            if (!runNow) {
                onLost.add(action);
            }
        }
        if (runNow) {
            action.run();
        }
    }

    @Override
    public <T> T run(TxOptions options, TxFunction<T> fn) {
        if (released) {
            throw new IllegalStateException("lock '" + name + "' was released; run transactions inside withLock");
        }
        return store.execute(java.util.Objects.requireNonNull(options, "options"),
                java.util.Objects.requireNonNull(fn, "fn"), this);
    }

    @Override
    public <T> T run(TxFunction<T> fn) {
        return run(store.config().txDefaults(), fn);
    }

    /** The fence refused a commit: whatever the keep-alive thinks, the lock is gone. */
    void fenced() {
        markLost("the lock key is gone (seen by the commit fence)");
    }

    void stopKeepAlive() {
        released = true;
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
    }

    private void renew() {
        if (lost || released) {
            return;
        }
        if (!isHeld()) {
            return;
        }
        long sentAt = System.nanoTime();
        connection.keepAliveOnce(leaseId).whenComplete((ttl, error) -> {
            if (released) {
                return;
            }
            if (error == null) {
                if (ttl <= 0) {
                    markLost("etcd reports its lease expired");
                } else {
                    validUntilNanos = sentAt + TimeUnit.SECONDS.toNanos(ttl);
                }
            } else {
                LOG.debugf("keep-alive of lock '%s' failed: %s", name, error.getMessage());
                isHeld();
            }
        });
    }

    private void markLost(String why) {
        List<Runnable> actions;
        synchronized (onLost) {
            if (lost || released) {
                return;
            }
            lost = true;
            actions = List.copyOf(onLost);
            onLost.clear();
        }
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        LOG.warnf("lock '%s' lost: %s; writes under it will be refused", name, why);
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.errorf(e, "an onLost action of lock '%s' failed", name);
            }
        }
    }
}
