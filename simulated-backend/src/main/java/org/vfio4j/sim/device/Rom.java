package org.vfio4j.sim.device;

/**
 * An expansion ROM: the ROM BAR decodes {@code size} bytes (a power of two, at least 2 KiB), of which
 * the first {@code image.length} hold the image; bytes past the image read 0xff through the ROM
 * region ({@code vfio_pci_bar_rw}).
 */
public record Rom(long size, byte[] image) {
    /** Validates the size and keeps a copy of {@code image}. */
    public Rom {
        if (Long.bitCount(size) != 1 || size < 2048 || image.length > size) {
            throw new IllegalArgumentException("ROM size 0x" + Long.toHexString(size) + " must be a power of two >= 2 KiB holding the "
                    + image.length + "-byte image");
        }
        image = image.clone();
    }

    /** {@return a copy of the image} */
    @Override
    public byte[] image() {
        return image.clone();
    }
}
