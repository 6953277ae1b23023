package org.vfio4j.spi;

/**
 * The Linux (x86-64 and arm64) flag values the seam's calls take, from {@code <fcntl.h>},
 * {@code <sys/mman.h>}, {@code <sys/eventfd.h>}, {@code <poll.h>} and {@code <sys/ioctl.h>}.
 * The ABI proof checks each one against the C headers.
 */
public final class LinuxAbi {
    private LinuxAbi() {}

    /** open: read only. */
    public static final int O_RDONLY = 0;
    /** open: write only. */
    public static final int O_WRONLY = 1;
    /** open: read and write (what VFIO container, group and device files want). */
    public static final int O_RDWR = 2;
    /** open, eventfd: non-blocking I/O. */
    public static final int O_NONBLOCK = 0x800;
    /** open, eventfd: close on exec. */
    public static final int O_CLOEXEC = 0x80000;

    /** mmap: pages may not be accessed. */
    public static final int PROT_NONE = 0;
    /** mmap: pages may be read. */
    public static final int PROT_READ = 1;
    /** mmap: pages may be written. */
    public static final int PROT_WRITE = 2;
    /** mmap: updates are visible to other mappings of the same file (what BAR mappings need). */
    public static final int MAP_SHARED = 1;
    /** mmap: copy-on-write mapping (VFIO refuses it for regions). */
    public static final int MAP_PRIVATE = 2;

    /** eventfd: read decrements the counter by one instead of clearing it. */
    public static final int EFD_SEMAPHORE = 1;
    /** eventfd: non-blocking reads and writes ({@code EAGAIN}). */
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    /** eventfd: close on exec. */
    public static final int EFD_CLOEXEC = O_CLOEXEC;

    /** poll: there is data to read. */
    public static final short POLLIN = 0x1;
    /** poll: urgent data. */
    public static final short POLLPRI = 0x2;
    /** poll: writing will not block. */
    public static final short POLLOUT = 0x4;
    /** poll (result only): error condition. */
    public static final short POLLERR = 0x8;
    /** poll (result only): hang up. */
    public static final short POLLHUP = 0x10;
    /** poll (result only): the descriptor is not open. */
    public static final short POLLNVAL = 0x20;

    /** ioctl: bytes available to read ({@code FIONREAD}); ENOTTY on an eventfd, which makes it a cheap round trip. */
    public static final long FIONREAD = 0x541B;
    /** ioctl: set or clear non-blocking mode through an int pointer ({@code FIONBIO}). */
    public static final long FIONBIO = 0x5421;
}
