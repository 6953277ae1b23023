package org.vfio4j.sim.core;

/**
 * An open {@code /dev/vfio/<group>}: held by its fd and by every device fd opened through it
 * ({@code vfio_group_use_container} takes a file reference), released when the last one goes.
 */
public final class GroupFile implements OpenFile {
    public final Group group;
    private int references = 1;
    private boolean fdClosed;

    public GroupFile(Group group) {
        this.group = group;
    }

    @Override
    public String kind() {
        return "VFIO group";
    }

    boolean fdClosed() {
        return fdClosed;
    }

    void retain() {
        references++;
    }

    /** Drops one reference; the group is released with the last. */
    void release(boolean fd) {
        if (fd) {
            fdClosed = true;
        }
        if (--references == 0) {
            group.release();
        }
    }
}
