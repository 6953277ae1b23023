package org.vfio4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads IOMMU groups and PCI functions from a sysfs root: the real {@code /} or a backend's
 * in-memory tree. Only the files every Linux kernel since 3.6 has are read: {@code
 * /sys/kernel/iommu_groups/<id>/devices/*}, {@code /sys/bus/pci/devices/<BDF>/{vendor,device,class,driver}},
 * and {@code /dev/vfio/*}.
 */
final class SysfsDiscovery {
    private SysfsDiscovery() {}

    static List<IommuGroupInfo> groups(Path root) throws IOException {
        Path groupsDir = root.resolve("sys/kernel/iommu_groups");
        if (!Files.isDirectory(groupsDir)) {
            return List.of();
        }
        List<IommuGroupInfo> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(groupsDir)) {
            for (Path dir : dirs.toList()) {
                int id;
                try {
                    id = Integer.parseInt(dir.getFileName().toString());
                } catch (NumberFormatException notAGroup) {
                    continue;
                }
                List<PciDeviceInfo> devices = new ArrayList<>();
                try (Stream<Path> names = Files.list(dir.resolve("devices"))) {
                    for (Path p : names.toList()) {
                        String bdf = p.getFileName().toString();
                        try {
                            devices.add(device(root, PciAddress.parse(bdf)));
                        } catch (IllegalArgumentException notPci) {
                            // platform devices have other names; vfio4j models PCI
                        }
                    }
                }
                devices.sort(Comparator.comparing(PciDeviceInfo::address));
                Path dev = root.resolve("dev/vfio");
                Optional<String> node = Files.exists(dev.resolve(Integer.toString(id))) ? Optional.of(Integer.toString(id))
                        : Files.exists(dev.resolve("noiommu-" + id)) ? Optional.of("noiommu-" + id) : Optional.empty();
                out.add(new IommuGroupInfo(id, devices, node));
            }
        }
        out.sort(Comparator.comparingInt(IommuGroupInfo::id));
        return out;
    }

    static PciDeviceInfo device(Path root, PciAddress address) throws IOException {
        Path dir = root.resolve("sys/bus/pci/devices").resolve(address.toString());
        Path driver = dir.resolve("driver");
        Optional<String> driverName = Files.isSymbolicLink(driver)
                ? Optional.of(Files.readSymbolicLink(driver).getFileName().toString()) : Optional.empty();
        return new PciDeviceInfo(address, hex(dir.resolve("vendor")), hex(dir.resolve("device")), hex(dir.resolve("class")), driverName);
    }

    private static int hex(Path file) throws IOException {
        String s = Files.readString(file).trim();
        return Integer.parseInt(s.startsWith("0x") ? s.substring(2) : s, 16);
    }
}
