package org.vfio4j.sim;

/** What an fd of the simulated kernel refers to ({@code struct file}'s private data). */
sealed interface OpenFile permits ContainerFile, GroupFile, DeviceFile, EventFdFile {
    /** For messages: "container", "group", "device", "eventfd". */
    String kind();
}

/** An open {@code /dev/vfio/vfio}. */
record ContainerFile(Container container) implements OpenFile {
    @Override
    public String kind() {
        return "VFIO container";
    }
}

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
