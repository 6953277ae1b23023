package org.vfio4j.conformance.lane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.conformance.SysfsHostView;

/** The lane's check on a tree shaped like the guest's sysfs and procfs: what it reports, and when it fails the lane. */
class LeftAsFoundTest {
    private static final String EDU = "0000:00:03.0";

    private static Path config(Path root, int command) throws Exception {
        Path dir = Files.createDirectories(root.resolve("sys/bus/pci/devices").resolve(EDU));
        byte[] c = new byte[64];
        c[0x04] = (byte) command;
        c[0x05] = (byte) (command >> 8);
        return Files.write(dir.resolve("config"), c);
    }

    @Test
    void aDeviceAsItWas_passes_aChangedOne_failsNamingTheRegister(@TempDir Path root) throws Exception {
        config(root, 0x0103);
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/interrupts"), "");
        LeftAsFound check = LeftAsFound.before(new SysfsHostView(root), List.of(EDU));
        LeftAsFound.Outcome same = check.after();
        assertThat(same.problems()).isEmpty();
        assertThat(same.report()).contains(": yes\n").contains(EDU + " before: command 0x0103");

        config(root, 0x0107);
        Files.writeString(root.resolve("proc/interrupts"), " 24:  3  PCI-MSI 65536-edge  vfio-msi[0](" + EDU + ")\n");
        LeftAsFound.Outcome changed = check.after();
        assertThat(changed.problems()).containsExactly(EDU + ": command register 0x0103 before, 0x0107 after; interrupts [] before, "
                + "[vfio-msi[0](" + EDU + ")] after");
        assertThat(changed.report()).contains(": NO\n").contains("  changed: " + EDU + ": command register");
    }

    @Test
    void aDeviceItCannotRead_failsTheCheck(@TempDir Path root) {
        LeftAsFound.Outcome o = LeftAsFound.before(new SysfsHostView(root), List.of(EDU)).after();
        assertThat(o.problems()).containsExactly(EDU + ": its state could not be read from sysfs (before the suite)");
    }
}
