package org.vfio4j.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Writes the sysfs and devfs a simulated host would show, in the real kernel's layout, so that
 * discovery code runs unchanged on it:
 * <pre>
 * /sys/kernel/iommu_groups/&lt;id&gt;/devices/&lt;BDF&gt;  -&gt; /sys/bus/pci/devices/&lt;BDF&gt;
 * /sys/bus/pci/devices/&lt;BDF&gt;/{vendor,device,class}  ("0x1234\n", as the kernel prints them)
 * /sys/bus/pci/devices/&lt;BDF&gt;/driver              -&gt; /sys/bus/pci/drivers/&lt;driver&gt; (bound only)
 * /sys/bus/pci/devices/&lt;BDF&gt;/iommu_group         -&gt; /sys/kernel/iommu_groups/&lt;id&gt;
 * /dev/vfio/vfio, /dev/vfio/&lt;id&gt; (groups with a vfio-pci device; noiommu-&lt;id&gt; without IOMMU)
 * </pre>
 */
final class Sysfs {
    private Sysfs() {}

    static void populate(Path root, SimulatedHost host, Collection<String> groupNodes) throws IOException {
        Path groups = Files.createDirectories(root.resolve("sys/kernel/iommu_groups"));
        Path devices = Files.createDirectories(root.resolve("sys/bus/pci/devices"));
        Path drivers = Files.createDirectories(root.resolve("sys/bus/pci/drivers"));
        Path dev = Files.createDirectories(root.resolve("dev/vfio"));
        Files.createFile(dev.resolve("vfio"));
        for (String node : groupNodes) {
            Files.createFile(dev.resolve(node));
        }
        for (HostGroup g : host.groups()) {
            Path groupDir = Files.createDirectories(groups.resolve(Integer.toString(g.id())).resolve("devices"));
            for (HostDevice d : g.devices()) {
                String bdf = d.address().toString();
                Path dir = Files.createDirectories(devices.resolve(bdf));
                Files.writeString(dir.resolve("vendor"), String.format("0x%04x%n", d.vendor()));
                Files.writeString(dir.resolve("device"), String.format("0x%04x%n", d.device()));
                Files.writeString(dir.resolve("class"), String.format("0x%06x%n", d.classCode()));
                Files.createSymbolicLink(dir.resolve("iommu_group"), groups.resolve(Integer.toString(g.id())));
                if (d.driver().isPresent()) {
                    Path driver = Files.createDirectories(drivers.resolve(d.driver().get()));
                    Files.createSymbolicLink(dir.resolve("driver"), driver);
                }
                Files.createSymbolicLink(groupDir.resolve(bdf), dir);
            }
        }
    }
}
