package org.vfio4j.conformance.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.kernel.user.UnixSocketListener;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.user.VfioUserServer;

/**
 * {@code vfio4j serve}: one simulated PCI function served over vfio-user on a UNIX socket, for a
 * VMM such as QEMU ({@code -device vfio-user-pci}) to drive. Every request goes through the
 * simulated kernel's vfio-pci, so the simulator's rules apply to what the VMM sees.
 */
final class Serve {
    static final String HELP = """
            usage: vfio4j serve --device edu|nvme --socket PATH [--profile 5.7|5.10|6.1|6.12] [--connections N] [--trace]

            Serves one simulated PCI function over vfio-user (QEMU 10.1+ is the client) on a UNIX
            socket: the requests go through the simulated kernel's vfio-pci (config virtualization,
            region rules, SET_IRQS validation), guest memory passed with DMA_MAP is what the device's
            DMA reaches, and its interrupts signal the eventfds QEMU passed. Give QEMU:
              -device '{"driver":"vfio-user-pci","socket":{"path":"PATH","type":"unix"}}'
            Guest RAM that QEMU passes as an fd (-object memory-backend-memfd,id=m,size=...,share=on
            -machine memory-backend=m) is mapped; other guest memory is reached with DMA_READ and
            DMA_WRITE messages, one round trip per transfer.

              --device edu|nvme  QEMU's edu (1234:11e8) or NVMe controller (1b36:0010), simulated
              --socket PATH      where to listen (a stale socket file there is replaced)
              --profile 5.7|5.10|6.1|6.12
                                 the simulated kernel's version (default 6.1); e.g. an 8-byte BAR
                                 access reaches the device as one access from 6.12 on, as two
                                 4-byte ones before (vfio_pci_core_do_io_rw)
              --connections N    serve N connections one after the other, then exit (default 1)
              --trace            print the simulated kernel's trace when a connection ends
              -h, --help         this text
            """;

    private Serve() {}

    static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> valued = new LinkedHashMap<>();
        valued.put("--device", "edu or nvme");
        valued.put("--socket", "a path for the UNIX socket");
        valued.put("--connections", "a whole number from 1 to 1000");
        valued.put("--profile", "5.7, 5.10, 6.1 or 6.12");
        Options o = Options.parse(args, List.of("--trace"), valued);
        if (o.help()) {
            out.print(HELP);
            return 0;
        }
        o.required(true, "vfio4j serve", "--device", "--socket");
        String device = o.choice("--device", "edu", "edu", "nvme");
        String socket = o.text("--socket", s -> !s.isBlank(), "a path for the UNIX socket");
        int connections = o.integer("--connections", 1, 1, 1000);
        KernelProfile profile = KernelProfile.ofRelease(o.choice("--profile", "6.1", "5.7", "5.10", "6.1", "6.12"));
        PciAddress address = PciAddress.parse(device.equals("edu") ? Topologies.EDU : NVME);
        try (UnixSocketListener listener = UnixSocketChannel.listen(Path.of(socket))) {
            out.printf("vfio4j serve: %s (%s, simulated Linux %s) on %s; connect QEMU with%n  -device '{\"driver\":\"vfio-user-pci\",\"socket\":"
                    + "{\"path\":\"%s\",\"type\":\"unix\"}}'%n", device, address, profile.name().substring(6).replace('_', '.'), listener.path(), listener.path());
            for (int i = 0; i < connections; i++) {
                SimulatedKernel kernel = host(device).toBuilder().profile(profile).build().boot();
                try (UnixSocketChannel channel = listener.accept()) {
                    out.println("vfio4j serve: connection " + (i + 1) + " accepted");
                    VfioUserServer server = VfioUserServer.open(kernel, address, channel);
                    String how = "ended";
                    try {
                        server.serve();
                    } catch (java.io.IOException e) { // a broken stream ends this connection, not the command
                        how = "broke off (" + e.getMessage() + ")";
                    }
                    out.println("vfio4j serve: connection " + (i + 1) + " " + how + "; " + server.log().size() + " request(s) failed"
                            + (server.log().isEmpty() ? "" : ":"));
                    for (String line : server.log()) {
                        out.println("  " + line);
                    }
                    if (o.has("--trace")) {
                        out.print(kernel.traceText());
                    }
                } finally {
                    kernel.close();
                }
            }
        }
        return 0;
    }

    /** Where the NVMe controller sits on its simulated host. */
    static final String NVME = "0000:00:04.0";

    /** The simulated host of one served function; the process is root (CAP_IPC_LOCK), as a VMM's helper is. */
    static SimulatedHost host(String device) {
        if (device.equals("edu")) {
            return Topologies.singleEdu().toBuilder().capIpcLock(true).build();
        }
        return SimulatedHost.x86Type1().toBuilder().name("single nvme").clearGroups().capIpcLock(true)
                .group(4, HostDevice.of(NVME, QemuNvme::new).boundTo(HostDevice.VFIO_PCI)).build();
    }
}
