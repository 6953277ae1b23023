package org.vfio4j.sim;

/** The eventfd(2) counter. */
final class EventFdFile implements OpenFile {
    long counter;
    final boolean semaphore;
    final boolean nonblocking;

    EventFdFile(long initial, boolean semaphore, boolean nonblocking) {
        this.counter = initial;
        this.semaphore = semaphore;
        this.nonblocking = nonblocking;
    }

    @Override
    public String kind() {
        return "eventfd";
    }
}
