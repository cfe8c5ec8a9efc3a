package io.reside.etcd;

/** A running watch. Closing it stops deliveries (a delivery in progress completes). */
public interface Subscription extends AutoCloseable {

    /** The highest revision delivered so far (0 before the first). */
    long revision();

    @Override
    void close();
}
