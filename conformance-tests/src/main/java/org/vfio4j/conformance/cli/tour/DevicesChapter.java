package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import org.vfio4j.DeviceInfo;
import org.vfio4j.PciRegisters;
import org.vfio4j.Region;
import org.vfio4j.RegionIndex;
import org.vfio4j.RegionInfo;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.sim.SimulatedKernel;

/**
 * A device fd and its regions, on QEMU's edu (and QEMU's NVMe controller for a capability chain):
 * DEVICE_GET_INFO, GET_REGION_INFO for every region, the chain of a BAR that holds an MSI-X table,
 * pread/pwrite of edu's registers, a mapping of BAR0, and what the kernel answers to accesses and
 * mappings it does not allow.
 */
final class DevicesChapter implements Chapter {
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_SHARED = 0x1;
    private static final int MAP_PRIVATE = 0x2;

    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String summary() {
        return "a device fd: regions, their capability chain, pread/pwrite of registers, mmap of a BAR";
    }

    @Override
    public void run(PrintStream out) throws Exception {
        SimulatedKernel kernel = Bench.host(true).boot();
        Page page = new Page(out, kernel);
        page.title("vfio4j tour devices: regions and BAR access on QEMU's edu device (simulated)", true);
        try (Vfio vfio = Vfio.over(kernel)) {
            page.heading("Set up as in 'basics': a container, edu's group 3, the type1v2 IOMMU");
            page.code("container = vfio.openContainer(); group = vfio.openGroup(3);",
                    "group.setContainer(container); container.setIommu(IommuType.TYPE1V2);");
            Bench.Setup setup = Bench.setUp(vfio);
            VfioContainer container = setup.container();
            VfioGroup group = setup.group();
            page.calls();

            page.heading("Open edu and ask what it has (VFIO_DEVICE_GET_INFO)");
            page.code("VfioDevice edu = group.openDevice(\"0000:00:03.0\"); DeviceInfo info = edu.info();");
            VfioDevice edu = group.openDevice(Bench.EDU);
            DeviceInfo info = edu.info();
            page.calls();
            page.result("a PCI device (flags=PCI), %d regions, %d IRQ indexes; no RESET flag: vfio-pci knows no way to"
                    + " reset edu (no FLR, no power management, no bus of its own to reset)", info.numRegions(), info.numIrqs());
            page.say("vfio-pci always reports 9 regions: BAR0-5, ROM, CONFIG and VGA, each in its own 2^40-byte window",
                    "of the device fd (index << 40); a device-specific region would come after them.");

            page.heading("Ask for every region (VFIO_DEVICE_GET_REGION_INFO)");
            page.code("for (int i = 0; i < info.numRegions(); i++) edu.regionInfo(i);");
            for (int i = 0; i < info.numRegions(); i++) {
                try {
                    edu.regionInfo(i);
                } catch (VfioException e) {
                    if (i != RegionIndex.VGA) {
                        throw e;
                    }
                }
            }
            page.calls();
            page.result("BAR0 is edu's 1 MiB of registers (READ|WRITE|MMAP); BAR1-5 and the ROM are empty (size 0);"
                    + " CONFIG is the 256-byte config space, readable and writable but never mappable; VGA is EINVAL:"
                    + " edu is no VGA device (class 0x0300), so that index has no region at all");

            page.heading("A capability chain: BAR0 of QEMU's NVMe controller, which holds its MSI-X table");
            page.code("nvme = vfio.openGroup(4) ... .openDevice(\"0000:00:04.0\"); nvme.regionInfo(RegionIndex.BAR0);");
            VfioDevice nvme = Bench.openNvme(vfio, container);
            page.skipCalls();
            RegionInfo nvmeBar0 = nvme.regionInfo(RegionIndex.BAR0);
            page.calls();
            page.result("flags READ|WRITE|MMAP|CAPS, size 0x%x, chain %s", nvmeBar0.size(), nvmeBar0.capabilities());
            page.say("The first call (argsz=32, the fixed struct) had no room for the chain: the kernel set CAPS, raised",
                    "argsz to 40 and left cap_offset 0. The second call, with argsz=40, got the chain at offset 32.",
                    "MSIX_MAPPABLE: the MSI-X table may be mapped with the rest of the BAR (before Linux 4.16 the",
                    "kernel cut it out of the mappable area, with a SPARSE_MMAP capability).");

            page.heading("Read and write edu's registers through the device fd (pread/pwrite at BAR0's offset)");
            page.code("pread(device_fd, &id, 4, BAR0 + 0x00);  // BAR0 = 0 << 40: the identification register");
            int id = Bench.read32(vfio, edu, QemuEdu.REG_ID);
            page.calls();
            page.result("0x%08x: edu version %d.%d (the low byte is always 0xed)", id, id >>> 24, id >>> 16 & 0xff);
            page.code("pwrite(device_fd, &v, 4, BAR0 + 0x04);  // v = 0x12345678", "pread(device_fd, &v, 4, BAR0 + 0x04);");
            Bench.write32(vfio, edu, QemuEdu.REG_LIVENESS, 0x12345678);
            int live = Bench.read32(vfio, edu, QemuEdu.REG_LIVENESS);
            page.calls();
            page.result("0x%08x: the liveness register reads back the inverse of what was written", live);
            page.say("vfio-pci passes each access to the device as it is; it splits only larger ones into aligned",
                    "accesses of at most 4 bytes. What becomes of an access is the device's business:");
            page.code("pread(device_fd, &half, 2, BAR0 + 0x00);  // half of the identification register");
            vfio.seam().pread(edu.fd(), java.lang.foreign.Arena.ofAuto().allocate(2), Bench.BAR0 + QemuEdu.REG_ID);
            page.calls();
            page.result("0x0000: edu takes 4- and 8-byte accesses only, and QEMU's memory core answers any other size itself,"
                    + " before edu sees it: reads get 0, writes are dropped (no errno)");

            page.heading("The edges of a BAR");
            page.code("pread(device_fd, buf, 8, BAR0 + 0xffffc);  // 4 bytes before the end of the 1 MiB BAR");
            long n = vfio.seam().pread(edu.fd(), java.lang.foreign.Arena.ofAuto().allocate(8), Bench.BAR0 + QemuEdu.BAR0_SIZE - 4);
            page.calls();
            page.result("%d: a short read, clipped at the end of the BAR; only the first %d bytes of buf are valid", n, n);
            page.say("Mistake, on purpose: read at the very end of BAR0, and from BAR1, which edu does not have");
            page.code("pread(device_fd, buf, 8, BAR0 + 0x100000);  pread(device_fd, buf, 8, BAR1);");
            page.mistake(() -> vfio.seam().pread(edu.fd(), java.lang.foreign.Arena.ofAuto().allocate(8), Bench.BAR0 + QemuEdu.BAR0_SIZE));
            page.mistake(() -> vfio.seam().pread(edu.fd(), java.lang.foreign.Arena.ofAuto().allocate(8), (long) RegionIndex.BAR1 << 40));

            page.heading("Mistake, on purpose: touch BAR0 with memory decode off");
            page.code("edu.config().disableCommand(PciRegisters.COMMAND_MEMORY);  pread(device_fd, &id, 4, BAR0);");
            var config = edu.config();
            page.skipCalls();
            config.disableCommand(PciRegisters.COMMAND_MEMORY);
            page.mistake(() -> Bench.read32(vfio, edu, QemuEdu.REG_ID));
            config.enableCommand(PciRegisters.COMMAND_MEMORY);
            page.calls();
            page.say("A device that does not decode memory cannot answer: the kernel refuses with EIO rather than",
                    "let the access fail on the bus. A mapped access would get SIGBUS. Memory decode is back on.");

            page.heading("Map BAR0 and use the registers as memory (mmap)");
            page.code("try (Region bar0 = edu.region(RegionIndex.BAR0)) {  // GET_REGION_INFO, then mmap if MMAP",
                    "    bar0.readInt(0x00); bar0.writeInt(0x04, 0x0f0f0f0f); bar0.readInt(0x04); }");
            try (Region bar0 = edu.region(RegionIndex.BAR0)) {
                int mappedId = bar0.readInt(QemuEdu.REG_ID);
                bar0.writeInt(QemuEdu.REG_LIVENESS, 0x0f0f0f0f);
                int mappedLive = bar0.readInt(QemuEdu.REG_LIVENESS);
                page.calls();
                page.result("0x%08x and 0x%08x, as through pread/pwrite, without a system call per access",
                        mappedId, mappedLive);
            }
            page.calls();
            page.say("mmap needs MAP_SHARED and an offset and length inside a region whose info says MMAP.",
                    "Each load or store is one CPU access of its width, which the device (here: edu's model) answers.");

            page.heading("Mistake, on purpose: map what cannot be mapped");
            page.code("mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, device_fd, CONFIG);  // 7 << 40",
                    "mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, device_fd, BAR0);");
            page.mistake(() -> vfio.seam().mmap(edu.fd(), (long) RegionIndex.CONFIG << 40, 4096, PROT_READ_WRITE, MAP_SHARED));
            page.mistake(() -> vfio.seam().mmap(edu.fd(), Bench.BAR0, 4096, PROT_READ_WRITE, MAP_PRIVATE));
            page.say("Config space is virtualized by the kernel (see 'vfio4j tour config'), so it is only read and",
                    "written; a private mapping would copy device memory on write, which makes no sense for a BAR.");

            nvme.close();
            edu.close();
        }
        out.println();
        out.println("A device fd is a file of regions: GET_REGION_INFO says where each lies and what it allows, pread and");
        out.println("pwrite reach every region, and mmap the BARs that allow it.");
    }
}
