package org.vfio4j.smoke;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import org.vfio4j.DmaMapping;
import org.vfio4j.EventNotifier;
import org.vfio4j.IommuGroupInfo;
import org.vfio4j.IommuType;
import org.vfio4j.Region;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;

/**
 * Opens a simulated host with QEMU's edu in group 3, maps 4 KiB for DMA, reads the vendor and
 * device IDs from config space and takes one INTx interrupt raised through edu's register 0x60.
 * Prints one line and exits 0 when all of that worked, 1 otherwise. With the argument {@code groups}
 * it first lists the IOMMU groups, discovered from the simulated sysfs.
 */
public final class Smoke {
    private static final int INTX_IRQ_INDEX = 0;      // VFIO_PCI_INTX_IRQ_INDEX in <linux/vfio.h>
    private static final int EDU_RAISE_IRQ = 0x60;    // edu: ORs the value into the interrupt status
    private static final int EDU_IRQ_STATUS = 0x24;
    private static final int EDU_IRQ_ACK = 0x64;

    private Smoke() {}

    public static void main(String[] args) throws Exception {
        SimulatedHost host = SimulatedHost.builder()
                .group(3, HostDevice.of("0000:00:03.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI))
                .build();
        try (Vfio vfio = Vfio.open(host); Arena arena = Arena.ofShared()) {
            if (args.length > 0 && args[0].equals("groups")) { // discovery reads the simulated sysfs
                for (IommuGroupInfo g : vfio.iommuGroups()) {
                    System.out.println("groups: " + g.id() + " " + g.devices().stream().map(d -> d.address().toString()).toList());
                }
            }
            VfioContainer container = vfio.openContainer();
            VfioGroup group = vfio.openGroup(3);
            group.setContainer(container);
            container.setIommu(IommuType.TYPE1V2);
            MemorySegment buffer = arena.allocate(4096, 4096);
            DmaMapping mapping = container.mapDma(buffer, 0x10_0000);
            try (VfioDevice device = group.openDevice("0000:00:03.0");
                 Region bar0 = device.region(0);
                 EventNotifier irq = vfio.eventNotifier()) {
                int ids = device.config().read32(0);
                device.enableIrq(INTX_IRQ_INDEX, List.of(irq));
                bar0.writeInt(EDU_RAISE_IRQ, 1);
                long count = irq.await(Duration.ofSeconds(10)).orElse(0);
                int status = bar0.readInt(EDU_IRQ_STATUS);
                bar0.writeInt(EDU_IRQ_ACK, status);
                boolean ok = ids == 0x11e8_1234 && count == 1 && status == 1;
                // Plain concatenation, as the baseline does: a Formatter would load ~70 classes.
                System.out.println("smoke: ids=" + Integer.toHexString(ids) + " interrupts=" + count + " status=" + status
                        + " dma=0x" + Long.toHexString(mapping.iova()) + "+" + mapping.size() + (ok ? " ok" : " FAILED"));
                if (!ok) {
                    System.exit(1);
                }
            }
            container.unmapDma(mapping);
        }
    }
}
