package org.vfio4j.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * This machine's view of a device from outside VFIO, read only: {@code
 * /sys/bus/pci/devices/<BDF>/config} (the hardware registers; past the first 64 bytes only with
 * CAP_SYS_ADMIN, so MSI and MSI-X may be unreadable for another user) and the lines of {@code
 * /proc/interrupts} that vfio-pci named for it ({@code vfio-intx(BDF)}, {@code vfio-msi[n](BDF)},
 * {@code vfio-msix[n](BDF)}, {@code vfio_pci_intrs.c}). Writes nothing.
 */
public final class SysfsHostView implements HostView {
    private final Path root;

    /** The view under {@code root}: {@code /} on a real machine, a directory shaped like it in a test. */
    public SysfsHostView(Path root) {
        this.root = root;
    }

    /** The view of this machine ({@code /}). */
    public static SysfsHostView system() {
        return new SysfsHostView(Path.of("/"));
    }

    @Override
    public Optional<DeviceState> state(String device) {
        Path config = root.resolve("sys/bus/pci/devices").resolve(device).resolve("config");
        try {
            return Optional.of(DeviceState.of(Files.readAllBytes(config), interrupts(device)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The names in {@code /proc/interrupts} that vfio-pci gave the device's interrupts. Linux lets
     * every user read it; when it cannot be read the check cannot be made, and saying "no
     * interrupts" would pass a run that left some armed: that is an error.
     */
    private List<String> interrupts(String device) {
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(root.resolve("proc/interrupts"))) {
                for (String word : line.trim().split("\\s+")) {
                    if (word.startsWith("vfio") && word.endsWith("(" + device + ")")) {
                        names.add(word);
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + root.resolve("proc/interrupts") + " to check that " + device
                    + "'s interrupts were left as found (docs/safety.md)", e);
        }
        return names;
    }
}
