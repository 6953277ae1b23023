package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SysfsHostView} reads a device's hardware registers from sysfs and its vfio interrupts
 * from {@code /proc/interrupts} (a tree shaped like a real machine's, in a temporary directory), and
 * {@link DeviceState#changesSince} reports the differences that matter.
 */
class HostViewTest {
    private static final String EDU = "0000:00:03.0";

    /** 256 bytes of config space: command 0x0107, a capability list with MSI at 0x40 (control 0x0081) and MSI-X at 0x50 (0xc003). */
    private static byte[] config() {
        byte[] c = new byte[256];
        c[0x04] = 0x07;
        c[0x05] = 0x01;
        c[0x06] = 0x10; // STATUS: capability list
        c[0x34] = 0x40;
        c[0x40] = 0x05;
        c[0x41] = 0x50;
        c[0x42] = (byte) 0x81;
        c[0x50] = 0x11;
        c[0x51] = 0x00;
        c[0x52] = 0x03;
        c[0x53] = (byte) 0xc0;
        return c;
    }

    private static Path machine(Path root, byte[] config, String interrupts) throws Exception {
        Path dev = Files.createDirectories(root.resolve("sys/bus/pci/devices").resolve(EDU));
        Files.write(dev.resolve("config"), config);
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/interrupts"), interrupts);
        return root;
    }

    @Test
    void readsTheRegistersAndTheDevicesOwnVfioInterrupts(@TempDir Path root) throws Exception {
        machine(root, config(), """
                           CPU0       CPU1
                  0:         36          0   IO-APIC   2-edge      timer
                 24:          3          0  PCI-MSI 65536-edge      vfio-msi[0](0000:00:03.0)
                 25:          0          0  PCI-MSI 65537-edge      vfio-msi[0](0000:00:04.0)
                 26:          1          0   IO-APIC  11-fasteoi   vfio-intx(0000:00:03.0)
                """);
        DeviceState s = new SysfsHostView(root).state(EDU).orElseThrow();
        assertThat(s.command()).isEqualTo(0x0107);
        assertThat(s.msiControl()).hasValue(0x0081);
        assertThat(s.msixControl()).hasValue(0xc003);
        assertThat(s.interrupts()).containsExactly("vfio-intx(0000:00:03.0)", "vfio-msi[0](0000:00:03.0)");
    }

    @Test
    void anUnreadableProcInterrupts_isAnError_notAnEmptyList(@TempDir Path root) throws Exception {
        machine(root, config(), "");
        Files.delete(root.resolve("proc/interrupts"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SysfsHostView(root).state(EDU))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("to check that " + EDU + "'s interrupts were left as found");
    }

    @Test
    void withoutCapSysAdmin_sysfsGivesTheHeaderOnly_andMsiIsUnreadable(@TempDir Path root) throws Exception {
        machine(root, java.util.Arrays.copyOf(config(), 64), "");
        DeviceState s = new SysfsHostView(root).state(EDU).orElseThrow();
        assertThat(s.command()).isEqualTo(0x0107);
        assertThat(s.msiControl()).isEmpty();
        assertThat(s.msixControl()).isEmpty();
        assertThat(new SysfsHostView(root).state("0000:09:00.0")).as("no such device").isEmpty();
    }

    @Test
    void changes_areTheCommandRegister_msiEnable_msixEnableAndMask_andTheInterrupts() {
        DeviceState before = new DeviceState(0x0103, OptionalInt.of(0x0080), OptionalInt.of(0x0003), List.of());
        assertThat(before.changesSince(before)).isEmpty();
        assertThat(new DeviceState(0x0103, OptionalInt.of(0x00a0), OptionalInt.of(0x0003), List.of()).changesSince(before))
                .as("Multiple Message Enable alone, which Linux leaves after disabling MSI").isEmpty();
        assertThat(new DeviceState(0x0107, OptionalInt.of(0x0081), OptionalInt.of(0x4003), List.of("vfio-intx(x)")).changesSince(before))
                .containsExactly("command register 0x0103 before, 0x0107 after", "MSI Message Control 0x0080 before, 0x0081 after",
                        "MSI-X Message Control 0x0003 before, 0x4003 after", "interrupts [] before, [vfio-intx(x)] after");
        assertThat(new DeviceState(0x0103, OptionalInt.empty(), OptionalInt.of(0x8003), List.of()).changesSince(before))
                .containsExactly("MSI Message Control 0x0080 before, unreadable after", "MSI-X Message Control 0x0003 before, 0x8003 after");
    }
}
