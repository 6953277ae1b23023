package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.Errno;
import org.vfio4j.PciAddress;

/**
 * A function bound to vfio-pci, as the simulated kernel serves it through device fds
 * ({@code drivers/vfio/pci/vfio_pci_core.c}): VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO
 * and config-space access. This version models functions without BARs, ROM or capabilities:
 * their config space is the 256-byte standard header, virtualized as {@code vfio_pci_config.c}'s
 * basic permissions say (command, cache line, latency timer, BIST, BARs, ROM BAR and interrupt
 * line writable; the rest read-only). BAR-backed devices, IRQs and resets belong to later models.
 */
final class PciFunction {
    static final int CONFIG_SIZE = 256;
    private static final long OFFSET_MASK = (1L << 40) - 1;

    final HostDevice spec;
    final Group group;
    int openCount;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final MemorySegment configView = MemorySegment.ofArray(config);

    PciFunction(HostDevice spec, Group group) {
        this.spec = spec;
        this.group = group;
        resetConfig();
    }

    PciAddress address() {
        return spec.address();
    }

    @Override
    public String toString() {
        return "device " + spec.address();
    }

    /** The physical header: identity from the host, interrupt pin A, no BARs or capabilities. */
    private void resetConfig() {
        java.util.Arrays.fill(config, (byte) 0);
        configView.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0x00, (short) spec.vendor());
        configView.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0x02, (short) spec.device());
        config[0x09] = (byte) spec.classCode();
        config[0x0a] = (byte) (spec.classCode() >> 8);
        config[0x0b] = (byte) (spec.classCode() >> 16);
        config[0x0e] = (byte) (spec.bridge() ? 1 : 0);
        config[0x3d] = 1; // INTA
    }

    /** First open enables the device (vfio_pci_core_enable); the virtual config starts from the physical one. */
    void open() {
        if (openCount++ == 0) {
            resetConfig();
        }
    }

    void close() {
        openCount--;
    }

    int ioctl(long request, UserArg arg, SyscallContext call) throws KernelError {
        if (request == VFIO_DEVICE_GET_INFO) {
            return getInfo(arg, call);
        } else if (request == VFIO_DEVICE_GET_REGION_INFO) {
            return getRegionInfo(arg, call);
        }
        throw KernelError.of(Errno.ENOTTY, "ioctl 0x" + Long.toHexString(request) + " on " + this + " is not modelled by this"
                + " version of the simulator (vfio_pci_core_ioctl handles it in the kernel)");
    }

    /** {@code vfio_pci_ioctl_get_info}. */
    private int getInfo(UserArg arg, SyscallContext call) throws KernelError {
        int minsz = 16; // offsetofend(num_irqs)
        arg.checkReadable(0, minsz, "struct vfio_device_info");
        int argsz = arg.u32(0);
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            call.describe(() -> "{argsz=" + argsz + "}");
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 16 bytes of struct vfio_device_info up to num_irqs"
                    + " (vfio_pci_ioctl_get_info)");
        }
        // 6.1 copies min(argsz, sizeof) bytes of a zeroed struct: cap_offset (0 without caps) too
        int copyBack = group.profile().isAtLeast61() ? (int) Math.min(Integer.toUnsignedLong(argsz), 20) : minsz;
        int flags = VFIO_DEVICE_FLAGS_PCI | (spec.resettable() ? VFIO_DEVICE_FLAGS_RESET : 0);
        arg.checkWritable(0, copyBack, "struct vfio_device_info");
        byte[] out = new byte[20];
        MemorySegment o = MemorySegment.ofArray(out);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, 0, argsz);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, 4, flags);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, 8, VFIO_PCI_NUM_REGIONS);
        o.set(ValueLayout.JAVA_INT_UNALIGNED, 12, VFIO_PCI_NUM_IRQS);
        arg.putBytes(0, java.util.Arrays.copyOf(out, copyBack));
        call.describe(() -> "{argsz=" + argsz + "} -> {flags=" + (spec.resettable() ? "PCI|RESET" : "PCI") + ", num_regions="
                + VFIO_PCI_NUM_REGIONS + ", num_irqs=" + VFIO_PCI_NUM_IRQS + "}");
        return 0;
    }

    /** {@code vfio_pci_ioctl_get_region_info}. */
    private int getRegionInfo(UserArg arg, SyscallContext call) throws KernelError {
        arg.checkReadable(0, 32, "struct vfio_region_info");
        int argsz = arg.u32(0);
        int index = arg.u32(8);
        call.describe(() -> "{argsz=" + argsz + ", index=" + index + "}");
        if (Integer.compareUnsigned(argsz, 32) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below sizeof(struct vfio_region_info) = 32"
                    + " (vfio_pci_ioctl_get_region_info)");
        }
        long size;
        int flags;
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            size = CONFIG_SIZE;
            flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        } else if (index >= VFIO_PCI_BAR0_REGION_INDEX && index <= VFIO_PCI_ROM_REGION_INDEX) {
            size = 0; // BAR or ROM not implemented by this function: size 0, no flags
            flags = 0;
        } else if (index == VFIO_PCI_VGA_REGION_INDEX) {
            throw KernelError.of(Errno.EINVAL, this + " is not a VGA device: no VGA region (vfio_pci_ioctl_get_region_info)");
        } else {
            throw KernelError.of(Errno.EINVAL, "region index " + Integer.toUnsignedString(index) + " is not below num_regions "
                    + VFIO_PCI_NUM_REGIONS + " (vfio_pci_ioctl_get_region_info)");
        }
        arg.checkWritable(0, 32, "struct vfio_region_info");
        arg.putU32(4, flags);
        // cap_offset goes back as the caller sent it when there are no capabilities (verified on 6.1)
        arg.putU64(16, size);
        arg.putU64(24, (long) index << 40);
        call.describe(() -> "{argsz=" + argsz + ", index=" + index + "} -> {flags=0x" + Integer.toHexString(flags) + ", size=0x"
                + Long.toHexString(size) + ", offset=0x" + Long.toHexString((long) index << 40) + "}");
        return 0;
    }

    /** {@code vfio_pci_rw}: the region is the offset's top bits. */
    long read(MemorySegment dst, long offset) throws KernelError {
        return access(dst, offset, false);
    }

    long write(MemorySegment src, long offset) throws KernelError {
        return access(src, offset, true);
    }

    private long access(MemorySegment buf, long offset, boolean write) throws KernelError {
        long index = offset >>> 40;
        long pos = offset & OFFSET_MASK;
        if (index >= VFIO_PCI_NUM_REGIONS) {
            throw KernelError.of(Errno.EINVAL, "offset 0x" + Long.toHexString(offset) + " selects region " + index + ", not below "
                    + VFIO_PCI_NUM_REGIONS + " (vfio_pci_rw)");
        }
        if (index != VFIO_PCI_CONFIG_REGION_INDEX) {
            throw KernelError.of(Errno.EINVAL, "region " + index + " of " + this + " is not implemented (size 0) (vfio_pci_rw)");
        }
        long count = buf.byteSize();
        if (count == 0) {
            return 0;
        }
        if (pos + count > CONFIG_SIZE) {
            throw KernelError.of(Errno.EFAULT, String.format("config access [0x%x, 0x%x) passes the end of the %d-byte config"
                    + " space (vfio_config_do_rw)", pos, pos + count, CONFIG_SIZE));
        }
        if (!write) {
            MemorySegment.copy(configView, pos, buf, 0, count);
            return count;
        }
        for (long i = 0; i < count; i++) {
            int at = (int) (pos + i);
            if (writable(at)) {
                config[at] = buf.get(ValueLayout.JAVA_BYTE, i);
            }
        }
        return count;
    }

    /** Basic header permissions of {@code init_pci_cap_basic_perm}; BARs and ROM of size 0 read back 0. */
    private static boolean writable(int at) {
        return at == 0x04 || at == 0x05 || at == 0x0c || at == 0x0d || at == 0x0f || at == 0x3c;
    }
}
