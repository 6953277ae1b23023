package org.vfio4j.conformance.cli.bench;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;
import org.vfio4j.Vfio;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * A device model's DMA through the simulated IOMMU: 64 KiB read from a type1 mapping into the
 * device and 64 KiB written back ({@code DeviceContext.dmaRead}/{@code dmaWrite}, translation and
 * permission checks included), against {@code MemorySegment.copy} of the same bytes both ways.
 */
final class DeviceDmaCopy implements Measure {
    private static final int LENGTH = 64 * 1024;
    private static final long IOVA = 0x10_0000L;
    private static final int TRANSFERS = 5_000;

    @Override
    public String name() {
        return "dma";
    }

    /** A function that only keeps the context the kernel hands it, to do DMA with. */
    private static final class DmaEngine implements PciDeviceModel {
        volatile DeviceContext context;

        @Override
        public ConfigSpace config() {
            return ConfigSpace.builder(0x1af4, 0x10fe, 0x00ff00).build();
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
        }
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        DmaEngine engine = new DmaEngine();
        SimulatedKernel kernel = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(9, HostDevice.ofInstance("0000:03:00.0", engine).boundTo(HostDevice.VFIO_PCI)).build().boot();
        kernel.recordTrace(false);
        try (Vfio vfio = Vfio.over(kernel); Arena arena = Arena.ofShared()) {
            Attached a = Attached.open(vfio, 9);
            MemorySegment user = arena.allocate(LENGTH, 4096);
            a.container().mapDma(user, IOVA);
            a.group().openDevice("0000:03:00.0").config().enableMemoryAndBusMaster(); // a function without bus mastering does no DMA
            MemorySegment device = arena.allocate(LENGTH, 64);
            DeviceContext dma = engine.context;
            for (int i = 0; i < LENGTH; i++) {
                user.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            dma.dmaRead(IOVA, device);
            if (device.mismatch(user) != -1) {
                throw new IllegalStateException("the device read other bytes than the mapping holds, first at "
                        + device.mismatch(user));
            }
            Rounds.Round sim = () -> {
                long start = System.nanoTime();
                for (int i = 0; i < TRANSFERS; i++) {
                    dma.dmaRead(IOVA, device);
                    dma.dmaWrite(IOVA, device);
                }
                return Rounds.per(System.nanoTime() - start, TRANSFERS);
            };
            Rounds.Round copy = () -> {
                long start = System.nanoTime();
                for (int i = 0; i < TRANSFERS; i++) {
                    MemorySegment.copy(user, 0, device, 0, LENGTH);
                    MemorySegment.copy(device, 0, user, 0, LENGTH);
                }
                return Rounds.per(System.nanoTime() - start, TRANSFERS);
            };
            double[][] f = context.rounds().interleave(sim, copy);
            double vfio4j = Rounds.median(f[0]);
            double baseline = Rounds.median(f[1]);
            return List.of(new Row("simulator: device DMA through the IOMMU, 64 KiB read + 64 KiB write", gibs(vfio4j),
                    gibs(baseline) + " (MemorySegment.copy both ways)", baseline / vfio4j, new Goal.AtLeast(0.5),
                    "throughput of vfio4j / of the copy; medians of " + context.rounds().measured() + " interleaved rounds of 5,000 transfer pairs"));
        }
    }

    /** Bytes per second of one 2 x 64 KiB transfer pair taking {@code nanos}. */
    private static String gibs(double nanos) {
        return String.format(Locale.ROOT, "%.1f GiB/s", 2.0 * LENGTH / nanos * 1e9 / (1L << 30));
    }
}
