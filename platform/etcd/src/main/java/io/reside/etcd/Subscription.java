package io.reside.etcd;

/** A running watch. Closing it stops deliveries (a delivery in progress completes). */
public interface Subscription extends AutoCloseable {

    /** The highest revision delivered so far (0 before the first). */
    long revision();

    /**
     * When ({@link System#nanoTime()}) etcd last answered on this watch (a change, a progress report, a reload): the
     * state delivered is known to be current as of then. Progress is requested every
     * {@link StoreConfig#watchProgressInterval()}, so on a healthy watch this is never much older than that; during
     * a partition it stops moving. 0 before the first answer.
     */
    long confirmedAtNanos();

    @Override
    void close();
}
