package org.vfio4j;

/**
 * A register access moved fewer bytes than it names: the kernel transferred {@link #transferred()}
 * of {@link #requested()} bytes, for instance a 4-byte read two bytes before the end of a BAR,
 * which {@code vfio_pci_bar_rw} clips. The typed accessors ({@link Region#readInt} and friends,
 * {@link PciConfig}) throw it instead of returning a value whose missing bytes were never read; the
 * bulk {@link Region#read}/{@link Region#write} return the count instead. Its errno is {@code EIO}:
 * the access as a whole did not happen.
 */
public final class ShortTransferException extends VfioException {
    private static final long serialVersionUID = 1L;

    /** The bytes the access names. */
    private final long requested;
    /** The bytes the kernel moved. */
    private final long transferred;

    ShortTransferException(String operation, String target, long offset, long requested, long transferred) {
        super(Errno.EIO, operation, target, String.format("%d of the %d bytes at offset 0x%x were transferred (the access passes"
                + " the end of the region); nothing else is returned", transferred, requested, offset));
        this.requested = requested;
        this.transferred = transferred;
    }

    /** The bytes the access names. */
    public long requested() {
        return requested;
    }

    /** The bytes the kernel moved. */
    public long transferred() {
        return transferred;
    }
}
