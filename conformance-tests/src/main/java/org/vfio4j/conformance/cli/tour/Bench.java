package org.vfio4j.conformance.cli.tour;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuType;
import org.vfio4j.RegionIndex;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;

/**
 * The hosts of the device chapters, and edu's registers reached the way a C driver without a
 * mapping reaches them: pread and pwrite on the device fd at BAR0's offset.
 */
final class Bench {
    /** QEMU's edu, alone in IOMMU group 3. */
    static final String EDU = "0000:00:03.0";
    /** edu's IOMMU group. */
    static final int EDU_GROUP = 3;
    /** QEMU's NVMe controller, alone in IOMMU group 4 (with {@link #host(boolean) the NVMe}). */
    static final String NVME = "0000:00:04.0";
    /** The NVMe controller's IOMMU group. */
    static final int NVME_GROUP = 4;
    /** Where BAR0 starts in the device fd: region index 0, shifted by VFIO_PCI_OFFSET_SHIFT (40). */
    static final long BAR0 = (long) RegionIndex.BAR0 << 40;

    /** How many bytes {@link #transfer} moves. */
    static final int DMA_LENGTH = 32;
    /** edu's DMA takes 1 ms on the simulated host; this bounds the wait for its interrupt. */
    private static final Duration DMA_WAIT = Duration.ofSeconds(2);

    private Bench() {}

    /** An x86 host (type1 IOMMU, Linux 6.1) with edu on vfio-pci, and QEMU's NVMe controller too if {@code nvme}. */
    static SimulatedHost host(boolean nvme) {
        SimulatedHost.Builder b = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(EDU_GROUP, HostDevice.of(EDU, QemuEdu::new).boundTo(HostDevice.VFIO_PCI));
        if (nvme) {
            b.group(NVME_GROUP, HostDevice.of(NVME, QemuNvme::new).boundTo(HostDevice.VFIO_PCI));
        }
        return b.build();
    }

    /** A container with edu's group in it and the type1v2 IOMMU chosen: where every device chapter starts. */
    record Setup(VfioContainer container, VfioGroup group) {}

    /** Opens a container and edu's group, puts the group in the container and chooses type1v2 ('basics' explains each). */
    static Setup setUp(Vfio vfio) throws VfioException {
        VfioContainer container = vfio.openContainer();
        VfioGroup group = vfio.openGroup(EDU_GROUP);
        group.setContainer(container);
        container.setIommu(IommuType.TYPE1V2);
        return new Setup(container, group);
    }

    /** Adds the NVMe controller's group to {@code container} and opens the controller. */
    static VfioDevice openNvme(Vfio vfio, VfioContainer container) throws VfioException {
        VfioGroup group = vfio.openGroup(NVME_GROUP);
        group.setContainer(container);
        return group.openDevice(NVME);
    }

    /** One of edu's registers as {@code pread(device_fd, &v, 4, BAR0 + register)} reads it. */
    static int read32(Vfio vfio, VfioDevice edu, int register) throws VfioException {
        MemorySegment v = Arena.ofAuto().allocate(4);
        long n = vfio.seam().pread(edu.fd(), v, BAR0 + register);
        if (n != 4) {
            throw new IllegalStateException("pread of edu's register 0x" + Integer.toHexString(register) + " moved " + n + " bytes");
        }
        return v.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    /** {@code pwrite(device_fd, &value, 4, BAR0 + register)}. */
    static void write32(Vfio vfio, VfioDevice edu, int register, int value) throws VfioException {
        MemorySegment v = Arena.ofAuto().allocate(4);
        v.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
        vfio.seam().pwrite(edu.fd(), v, BAR0 + register);
    }

    /**
     * One edu transfer of {@value #DMA_LENGTH} bytes from {@code source} to {@code destination}
     * (device buffer to host memory when {@code toHost}), waiting for the MSI it raises when done
     * on {@code done}, and acknowledging it.
     */
    static void transfer(Vfio vfio, VfioDevice edu, EventNotifier done, long source, long destination, boolean toHost)
            throws VfioException {
        write64(vfio, edu, QemuEdu.REG_DMA_SRC, source);
        write64(vfio, edu, QemuEdu.REG_DMA_DST, destination);
        write64(vfio, edu, QemuEdu.REG_DMA_COUNT, DMA_LENGTH);
        write64(vfio, edu, QemuEdu.REG_DMA_CMD, QemuEdu.DMA_RUN | QemuEdu.DMA_IRQ | (toHost ? QemuEdu.DMA_TO_HOST : 0));
        done.expectSignal(DMA_WAIT);
        write32(vfio, edu, QemuEdu.REG_IRQ_ACK, QemuEdu.IRQ_DMA);
    }

    /** {@code pwrite(device_fd, &value, 8, BAR0 + register)}: edu's DMA registers are 64 bits wide. */
    static void write64(Vfio vfio, VfioDevice edu, int register, long value) throws VfioException {
        MemorySegment v = Arena.ofAuto().allocate(8);
        v.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
        vfio.seam().pwrite(edu.fd(), v, BAR0 + register);
    }
}
