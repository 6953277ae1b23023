package org.vfio4j.uapi;

/**
 * The ioctl request encoding of {@code <asm-generic/ioctl.h>}, used by x86-64 and arm64:
 * {@code dir << 30 | size << 16 | type << 8 | nr}. VFIO requests carry neither direction nor size
 * ({@code _IO}), so their numbers are {@code 0x3B00 | (100 + n)}.
 */
public final class Ioctl {
    private Ioctl() {}

    /** Direction bits: no data. */
    public static final int IOC_NONE = 0;
    /** Direction bits: userspace writes, the kernel reads. */
    public static final int IOC_WRITE = 1;
    /** Direction bits: the kernel writes, userspace reads. */
    public static final int IOC_READ = 2;

    private static final int NRBITS = 8;
    private static final int TYPEBITS = 8;
    private static final int SIZEBITS = 14;
    private static final int TYPESHIFT = NRBITS;
    private static final int SIZESHIFT = TYPESHIFT + TYPEBITS;
    private static final int DIRSHIFT = SIZESHIFT + SIZEBITS;

    /** {@code _IOC(dir, type, nr, size)}. */
    public static long ioc(int dir, int type, int nr, int size) {
        if (nr < 0 || nr > 0xff || type < 0 || type > 0xff || size < 0 || size >= 1 << SIZEBITS || dir < 0 || dir > 3) {
            throw new IllegalArgumentException("ioctl field out of range: dir=" + dir + " type=" + type + " nr=" + nr + " size=" + size);
        }
        return ((long) dir << DIRSHIFT) | ((long) size << SIZESHIFT) | ((long) type << TYPESHIFT) | nr;
    }

    /** {@code _IO(type, nr)}: a request with no argument struct encoded. */
    public static long io(int type, int nr) {
        return ioc(IOC_NONE, type, nr, 0);
    }

    /** {@code _IOR(type, nr, size)}. */
    public static long ior(int type, int nr, int size) {
        return ioc(IOC_READ, type, nr, size);
    }

    /** {@code _IOW(type, nr, size)}. */
    public static long iow(int type, int nr, int size) {
        return ioc(IOC_WRITE, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}. */
    public static long iowr(int type, int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, type, nr, size);
    }
}
