package org.vfio4j;

/**
 * What one ioctl answered, as the typed layer checks it before decoding: the bytes a backend wrote
 * back into the argument and the result it returned. Linux keeps rules there (a chain moves
 * forward, a count matches the bytes, a second call fits the room the first asked for, a new
 * descriptor is not negative); a reply that breaks one, from a buggy backend or a test double, is
 * a {@link VfioException} with {@link Errno#EPROTO} naming the ioctl, the field, the value and the
 * rule, never a hang, a huge allocation or a runtime exception from inside a decoder. The errno is
 * vfio4j's: the kernel did not return it, the library found a reply that breaks the ABI.
 *
 * @param ioctl  the request's name, e.g. {@code VFIO_DEVICE_GET_REGION_INFO}
 * @param target what it was applied to, as in other errors of the handle: a name, or the {@link
 *               org.vfio4j.spi.Fd} itself, whose text is made only when a reply is refused (the
 *               checks sit on hot paths such as config reads)
 */
record Reply(String ioctl, Object target) {

    /**
     * The largest {@code argsz} a reply may ask for: 1 MiB. Linux's longest replies are a few
     * hundred bytes (type1's IOVA ranges and vfio-pci's sparse-mmap areas count a handful of
     * entries of 16 bytes; a hot-reset list holds one 8-byte entry per function a reset reaches,
     * at most the 65536 functions of a PCI segment, 512 KiB), so a request above it is nonsense and
     * is refused before anything is allocated.
     */
    static final long MAX_ARGSZ = 1L << 20;

    /** An EPROTO failure of this ioctl, explained by {@code rule}. */
    VfioException malformed(String rule) {
        return new VfioException(Errno.EPROTO, ioctl, String.valueOf(target), rule);
    }

    /**
     * The argsz for the second call, from the first reply's request for more room: refused above
     * {@link #MAX_ARGSZ}.
     *
     * @param field what asked, e.g. {@code "argsz"} or {@code "count 5"}
     */
    long roomFor(String field, long asked) throws VfioException {
        if (asked > MAX_ARGSZ) {
            throw malformed(field + " asks for " + asked + " bytes, more than the " + MAX_ARGSZ
                    + " a reply may need (Linux's take a few hundred)");
        }
        return asked;
    }

    /**
     * The second reply must fit the argsz the first asked for: the decoders call at most twice, so
     * a reply that asks again is refused rather than decoded without what did not fit.
     */
    void fitsSecondCall(long sent, long asked) throws VfioException {
        if (asked > sent) {
            throw malformed("argsz " + asked + " on the second call, which was given the " + sent
                    + " bytes the first asked for; a reply must fit the room it asked for");
        }
    }

    /** A u32 count that the typed layer returns as an {@code int}: at most 2^31-1. */
    int count(String field, int raw) throws VfioException {
        if (raw < 0) {
            throw malformed(field + " " + Integer.toUnsignedString(raw) + " is above 2^31-1; no VFIO device has that many");
        }
        return raw;
    }

    /** An ioctl's result, which the seam promises is not negative (failures are exceptions). */
    int result(int result) throws VfioException {
        if (result < 0) {
            throw malformed("the result " + result + " is negative; a call that fails reports an errno, a call that succeeds returns 0 or more");
        }
        return result;
    }

    /** An ioctl's result that is a new descriptor: not negative. */
    int descriptor(int result) throws VfioException {
        if (result < 0) {
            throw malformed("the result " + result + " is not a file descriptor; a new descriptor is 0 or more");
        }
        return result;
    }

    /**
     * A pread or pwrite count of {@code call} on {@code target}: between 0 and the {@code asked}
     * bytes ({@code read(2)} never moves more than it was given room for). Static, so that the hot
     * path of register access builds no {@code Reply} unless the count breaks the rule.
     */
    static long transferred(String call, Object target, long moved, long asked) throws VfioException {
        if (moved < 0 || moved > asked) {
            throw new Reply(call, target).malformed("the count " + moved + " is outside 0.." + asked
                    + ", the bytes the call was given");
        }
        return moved;
    }
}
