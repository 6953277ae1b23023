package org.vfio4j.conformance.user;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioException;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.fixtures.Topologies;
import org.vfio4j.kernel.user.UnixSocketChannel;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.user.VfioUserServer;

/**
 * One PCI function of a freshly booted simulated host, served by {@link VfioUserServer#serve()} on a
 * thread of its own over the server's end of a real socket, as {@code vfio4j serve} does: the test
 * talks to it from the other end and reads how {@code serve()} ended.
 */
final class ServedDevice implements AutoCloseable {
    /** How long a test waits for {@code serve()} to end once it should. */
    static final Duration END_TIMEOUT = Duration.ofSeconds(5);
    /** Where the NVMe controller sits on {@link #nvmeHost()}, as on {@code vfio4j serve --device nvme}'s host. */
    static final String NVME = "0000:00:04.0";

    final SimulatedKernel kernel;
    final PciAddress address;
    final VfioUserServer server;
    private final UnixSocketChannel serverEnd;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    private ServedDevice(SimulatedKernel kernel, PciAddress address, UnixSocketChannel serverEnd) throws VfioException {
        this.kernel = kernel;
        this.address = address;
        this.serverEnd = serverEnd;
        this.server = VfioUserServer.open(kernel, address, serverEnd);
        Thread.ofPlatform().daemon().name("vfio-user server for " + address).start(this::serve);
    }

    /** {@code vfio4j serve --device edu}'s host: QEMU's edu alone in group 3, the process with CAP_IPC_LOCK. */
    static SimulatedHost eduHost() {
        return Topologies.singleEdu().toBuilder().capIpcLock(true).build();
    }

    /** {@code vfio4j serve --device nvme}'s host: QEMU's NVMe controller (FLR, MSI-X) alone in group 4. */
    static SimulatedHost nvmeHost() {
        return SimulatedHost.x86Type1().toBuilder().name("single nvme").clearGroups().capIpcLock(true)
                .group(4, HostDevice.of(NVME, QemuNvme::new).boundTo(HostDevice.VFIO_PCI)).build();
    }

    /** Boots {@code host} and serves the function at {@code address} on {@code serverEnd}. */
    static ServedDevice start(SimulatedHost host, String address, UnixSocketChannel serverEnd) throws VfioException {
        return on(host.boot(), address, serverEnd);
    }

    /** Serves the function at {@code address} of an already booted {@code kernel} (a second connection to it). */
    static ServedDevice on(SimulatedKernel kernel, String address, UnixSocketChannel serverEnd) throws VfioException {
        return new ServedDevice(kernel, PciAddress.parse(address), serverEnd);
    }

    private void serve() {
        try {
            server.serve();
            ended.complete(null);
        } catch (Throwable t) {
            ended.completeExceptionally(t);
        }
    }

    /** Whether {@code serve()} is still running. */
    boolean isServing() {
        return !ended.isDone();
    }

    /**
     * How {@code serve()} ended: null when it returned normally, else what it threw. Fails the test
     * when it is still running after {@link #END_TIMEOUT}.
     */
    Throwable outcome() {
        try {
            ended.get(END_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("serve() still runs " + END_TIMEOUT + " after it should have ended");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for serve() to end", e);
        }
    }

    /** Closes the server's end of the socket, so that its peer reads the end of the connection. */
    void hangUp() {
        serverEnd.close();
    }

    /** Closes the server's end (ending a {@code serve()} still waiting), waits for it, then shuts the kernel down. */
    @Override
    public void close() throws IOException {
        serverEnd.close();
        try {
            ended.handle((v, t) -> null).get(END_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the test has already failed or will: the kernel is closed regardless
        } finally {
            kernel.close();
        }
    }
}
