package org.vfio4j.sim.internal;

/**
 * Little-endian values of 1 to 4 bytes in a byte array, as PCI config space holds its registers.
 * The one copy the simulator's config-space classes share ({@code ConfigSpace}, {@code PciHardware},
 * {@code VirtualConfig}); public only so both simulator packages reach it: the module does not
 * export this package.
 */
public final class LittleEndian {
    private LittleEndian() {}

    /** The byte at {@code at}, zero-extended. */
    public static int u8(byte[] b, int at) {
        return b[at] & 0xff;
    }

    /** The 16-bit value at {@code at}, zero-extended. */
    public static int u16(byte[] b, int at) {
        return u8(b, at) | u8(b, at + 1) << 8;
    }

    /** The 32-bit value at {@code at}. */
    public static int u32(byte[] b, int at) {
        return u16(b, at) | u16(b, at + 2) << 16;
    }

    /** The {@code size}-byte value at {@code at} (1 to 4 bytes), zero-extended below 4. */
    public static int get(byte[] b, int at, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= u8(b, at + i) << 8 * i;
        }
        return v;
    }

    /** Stores the low 16 bits of {@code v} at {@code at}. */
    public static void put16(byte[] b, int at, int v) {
        put(b, at, 2, v);
    }

    /** Stores {@code v} at {@code at}. */
    public static void put32(byte[] b, int at, int v) {
        put(b, at, 4, v);
    }

    /** Stores the low {@code size} bytes of {@code v} at {@code at} (1 to 4 bytes). */
    public static void put(byte[] b, int at, int size, int v) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (v >>> 8 * i);
        }
    }
}
