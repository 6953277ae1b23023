package org.vfio4j.sim.core;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.StringJoiner;
import org.vfio4j.IrqIndex;
import org.vfio4j.RegionIndex;
import org.vfio4j.spi.LinuxAbi;

/**
 * How the trace names what the raw arguments encode: region offsets as {@code BAR0+0x4}, flag
 * words as {@code READ|WRITE}, IRQ indexes as {@code MSI-X}. Only used to format trace text, never
 * to decide what a call does.
 */
public final class TraceText {
    private TraceText() {}

    /** vfio-pci's fixed region indexes, {@code VFIO_PCI_*_REGION_INDEX}. */
    public static String regionName(long index) {
        return index >= 0 && index <= Integer.MAX_VALUE ? RegionIndex.name((int) index)
                : "region " + Long.toUnsignedString(index);
    }

    /**
     * A device-fd file offset as region and offset in it ({@code VFIO_PCI_OFFSET_SHIFT} is 40), with
     * the standard register's name for config space ({@code CONFIG+0x4 (PCI_COMMAND)}).
     */
    public static String regionOffset(long offset) {
        long index = offset >>> 40;
        long pos = offset & ((1L << 40) - 1);
        String s = regionName(index) + "+0x" + Long.toHexString(pos);
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            String reg = configRegister((int) pos);
            return reg == null ? s : s + " (" + reg + ")";
        }
        return s;
    }

    /** The name of a type-0 header register starting at {@code pos}, from {@code include/uapi/linux/pci_regs.h}. */
    static String configRegister(int pos) {
        return switch (pos) {
            case 0x00 -> "PCI_VENDOR_ID";
            case 0x02 -> "PCI_DEVICE_ID";
            case 0x04 -> "PCI_COMMAND";
            case 0x06 -> "PCI_STATUS";
            case 0x08 -> "PCI_CLASS_REVISION";
            case 0x0c -> "PCI_CACHE_LINE_SIZE";
            case 0x0e -> "PCI_HEADER_TYPE";
            case 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24 -> "PCI_BASE_ADDRESS_" + (pos - 0x10) / 4;
            case 0x2c -> "PCI_SUBSYSTEM_VENDOR_ID";
            case 0x2e -> "PCI_SUBSYSTEM_ID";
            case 0x30 -> "PCI_ROM_ADDRESS";
            case 0x34 -> "PCI_CAPABILITY_LIST";
            case 0x3c -> "PCI_INTERRUPT_LINE";
            case 0x3d -> "PCI_INTERRUPT_PIN";
            default -> null;
        };
    }

    /** The bytes of a small transfer as one little-endian value ({@code 0x00000001}); longer ones by count only. */
    static String data(MemorySegment buf, long count) {
        long shown = Math.min(count, buf.byteSize());
        return data(bits(buf, shown), shown, count);
    }

    /** The value {@link #data} shows of the first {@code shown} bytes of {@code buf}, read now (0 when it shows a count). */
    static long bits(MemorySegment buf, long shown) {
        if (shown <= 0) {
            return 0;
        }
        return switch ((int) shown) {
            case 1 -> buf.get(ValueLayout.JAVA_BYTE, 0);
            case 2 -> buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0);
            case 4 -> buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            case 8 -> buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            default -> 0;
        };
    }

    /** {@link #data} from a copy: {@code bits} read by {@link #bits} from {@code shown} of {@code count} bytes. */
    static String data(long bits, long shown, long count) {
        if (shown <= 0) {
            return count + " bytes";
        }
        return switch ((int) shown) {
            case 1 -> hex(bits, 2);
            case 2 -> hex(bits, 4);
            case 4 -> hex(bits, 8);
            case 8 -> hex(bits, 16);
            default -> shown + " bytes";
        };
    }

    /** {@code 0x} and the low {@code digits} hex digits of {@code value}, zero-padded ({@code %0Nx} of a value that wide). */
    static String hex(long value, int digits) {
        byte[] c = new byte[2 + digits];
        c[0] = '0';
        c[1] = 'x';
        for (int i = digits + 1; i >= 2; i--, value >>>= 4) {
            c[i] = (byte) Character.forDigit((int) (value & 0xf), 16);
        }
        return new String(c, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** {@code VFIO_PCI_*_IRQ_INDEX}. */
    public static String irqIndex(long index) {
        return index >= 0 && index < VFIO_PCI_NUM_IRQS ? IrqIndex.name((int) index)
                : Long.toUnsignedString(index & 0xffff_ffffL);
    }

    /** {@code VFIO_IRQ_SET_*} flags: {@code DATA_EVENTFD|ACTION_TRIGGER}. */
    public static String irqSetFlags(int flags) {
        return names(flags, new int[] {VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD,
                VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_ACTION_TRIGGER},
                "DATA_NONE", "DATA_BOOL", "DATA_EVENTFD", "ACTION_MASK", "ACTION_UNMASK", "ACTION_TRIGGER");
    }

    /** {@code VFIO_IRQ_INFO_*} flags. */
    public static String irqInfoFlags(int flags) {
        return names(flags, new int[] {VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_INFO_MASKABLE, VFIO_IRQ_INFO_AUTOMASKED, VFIO_IRQ_INFO_NORESIZE},
                "EVENTFD", "MASKABLE", "AUTOMASKED", "NORESIZE");
    }

    /** {@code VFIO_REGION_INFO_FLAG_*}. */
    public static String regionInfoFlags(int flags) {
        return names(flags, new int[] {VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE, VFIO_REGION_INFO_FLAG_MMAP,
                VFIO_REGION_INFO_FLAG_CAPS}, "READ", "WRITE", "MMAP", "CAPS");
    }

    /** {@code VFIO_DMA_MAP_FLAG_*}. */
    public static String dmaMapFlags(int flags) {
        return names(flags, new int[] {VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_MAP_FLAG_VADDR},
                "READ", "WRITE", "VADDR");
    }

    /** {@code VFIO_DMA_UNMAP_FLAG_*}. */
    public static String dmaUnmapFlags(int flags) {
        return names(flags, new int[] {VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_VADDR},
                "GET_DIRTY_BITMAP", "ALL", "VADDR");
    }

    /** {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_*}. */
    public static String dirtyPagesFlags(int flags) {
        return names(flags, new int[] {VFIO_IOMMU_DIRTY_PAGES_FLAG_START, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
                VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP}, "START", "STOP", "GET_BITMAP");
    }

    /** {@code VFIO_DEVICE_IOEVENTFD_*} size flags. */
    public static String ioeventfdFlags(int flags) {
        return names(flags, new int[] {VFIO_DEVICE_IOEVENTFD_8, VFIO_DEVICE_IOEVENTFD_16, VFIO_DEVICE_IOEVENTFD_32,
                VFIO_DEVICE_IOEVENTFD_64}, "8", "16", "32", "64");
    }

    /** Named bits joined with {@code |}, unknown bits as hex, {@code 0} for none. */
    private static String names(int flags, int[] bits, String... names) {
        StringJoiner j = new StringJoiner("|");
        int rest = flags;
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                j.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            j.add("0x" + Integer.toHexString(rest));
        }
        return j.length() == 0 ? "0" : j.toString();
    }

    /** Where a pread/pwrite/mmap offset points: region and offset on a device fd, else the raw offset. */
    public static String where(OpenFile f, long offset) {
        return where(f instanceof DeviceFile, offset);
    }

    /** {@link #where(OpenFile, long)} for a device fd or not. */
    static String where(boolean deviceFile, long offset) {
        return deviceFile ? TraceText.regionOffset(offset) : "offset=0x" + Long.toHexString(offset);
    }

    /** An mmap's protection bits by name: {@code READ|WRITE}. */
    public static String protNames(int prot) {
        return prot == LinuxAbi.PROT_NONE ? "NONE" : ((prot & LinuxAbi.PROT_READ) != 0 ? "READ" : "")
                + ((prot & LinuxAbi.PROT_READ) != 0 && (prot & LinuxAbi.PROT_WRITE) != 0 ? "|" : "")
                + ((prot & LinuxAbi.PROT_WRITE) != 0 ? "WRITE" : "")
                + ((prot & ~(LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE)) != 0 ? "|0x" + Integer.toHexString(prot & ~3) : "");
    }
}
