package org.vfio4j.conformance.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.kernel.user.UnixSocketListener;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.user.VfioUserServer;

/**
 * {@code vfio4j conformance --lane vfio-user}: the edu part of the vfio-user lane. This JVM serves
 * the simulated QEMU edu twice over vfio-user (one simulated kernel of Linux 6.12's rules, one of
 * 6.1's), {@code qemu-lane --vfio-user} boots the real-kernel lane's guest with both beside QEMU's
 * built-in edu, and in the guest {@code UserEduProbe} runs the real-kernel lane's device probe on
 * all three through the guest's vfio-pci and compares them (docs/vfio-user-lane.md).
 */
final class VfioUserEduLane {
    private VfioUserEduLane() {}

    /** The served functions, in qemu-lane's order (USER1, USER2), with the kernel rules each is served under. */
    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_12, KernelProfile.LINUX_6_1);

    /** One served edu: its listener, the thread serving one connection, what it found. */
    private static final class Served implements Runnable {
        final KernelProfile profile;
        final UnixSocketListener listener;
        final Path trace;
        final Path errors;
        volatile String summary = "QEMU never connected";
        private final Thread thread;

        Served(KernelProfile profile, Path dir) throws IOException {
            this.profile = profile;
            String name = "edu-" + release(profile);
            this.listener = UnixSocketChannel.listen(dir.resolve(name + ".sock"));
            this.trace = dir.resolve("serve-" + name + ".trace");
            this.errors = dir.resolve("serve-" + name + ".errors");
            this.thread = Thread.ofPlatform().daemon().name("vfio-user " + name).start(this);
        }

        @Override
        public void run() {
            PciAddress address = PciAddress.parse(Topologies.EDU);
            try (SimulatedKernel kernel = Serve.host("edu").toBuilder().profile(profile).build().boot();
                    UnixSocketChannel channel = listener.accept()) {
                VfioUserServer server = VfioUserServer.open(kernel, address, channel);
                server.serve();
                List<String> log = server.log();
                summary = "connection ended; " + log.size() + " request(s) answered with an error"
                        + (log.isEmpty() ? "" : " (" + errors.getFileName() + "), the first: " + log.getFirst());
                Files.write(errors, log);
                Files.writeString(trace, kernel.traceText());
            } catch (Exception e) {
                summary = "the server stopped: " + e;
            }
        }

        void finish() throws InterruptedException {
            try {
                listener.close(); // ends an accept that never got a connection
            } catch (IOException e) {
                summary = summary + " (closing the listener: " + e.getMessage() + ")";
            }
            thread.join(30_000);
        }
    }

    private static String release(KernelProfile p) {
        return p.name().substring("LINUX_".length()).replace('_', '.');
    }

    /** Runs the lane on each of {@code kernels}; 0 when every run passed. */
    static int run(List<String> kernels, PrintStream out, PrintStream err) throws Exception {
        String home = System.getProperty("vfio4j.home");
        Path script = home == null ? null : Path.of(home, "conformance-tests/src/lane/qemu-lane");
        if (script == null || !Files.isExecutable(script)) {
            err.println("vfio4j conformance: the lane script is not found; run through the ./vfio4j launcher of a checkout");
            return 1;
        }
        StringBuilder summary = new StringBuilder("edu over vfio-user against QEMU's built-in edu:\n");
        int worst = 0;
        for (String kernel : kernels) {
            long t0 = System.nanoTime();
            int status = once(script, kernel, out, err);
            summary.append(String.format("  Linux %-5s guest: %s in %d s%n", kernel, status == 0 ? "passed" : "FAILED (exit " + status + ")",
                    (System.nanoTime() - t0) / 1_000_000_000L));
            worst = Math.max(worst, status);
        }
        out.print(summary);
        return worst;
    }

    private static int once(Path script, String kernel, PrintStream out, PrintStream err) throws Exception {
        Path dir = Files.createTempDirectory("vfio4j-vfio-user-edu-");
        String java = ProcessHandle.current().info().command().orElse("java");
        String guest = String.format("'%s' -XX:-UsePerfData -Djava.io.tmpdir=/mnt --enable-native-access=ALL-UNNAMED -cp '%s' %s /mnt",
                java, System.getProperty("java.class.path"), "org.vfio4j.conformance.lane.UserEduProbe");
        List<Served> served = new ArrayList<>();
        try {
            for (KernelProfile p : PROFILES) {
                served.add(new Served(p, dir));
            }
            List<String> command = new ArrayList<>(List.of(script.toString(), "--kernel", kernel, "--timeout", "600",
                    "--out", dir.resolve("guest").toString()));
            for (Served s : served) {
                command.add("--vfio-user");
                command.add(s.listener.path().toString());
            }
            command.add("--");
            command.add(guest);
            out.println("Booting real Linux " + kernel + " in a QEMU 11.1 guest with QEMU's edu and the Java edu served over vfio-user"
                    + " (simulated Linux 6.12 and 6.1), and running the device probe on all three ...");
            out.flush();
            int status = new ProcessBuilder(command).inheritIO().start().waitFor();
            for (Served s : served) {
                s.finish();
                out.println("  server (simulated Linux " + release(s.profile) + "): " + s.summary);
            }
            out.println("  results: " + dir + " (guest/: the probes' lines, console; serve-*.trace: the simulated kernels' traces)");
            return status;
        } finally {
            for (Served s : served) {
                s.finish();
            }
        }
    }
}
