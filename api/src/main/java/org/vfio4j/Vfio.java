package org.vfio4j;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * The entry point: VFIO on one backend. Switching between the real kernel and a simulated host is
 * one line:
 * <pre>{@code
 * try (Vfio vfio = Vfio.kernel()) { ... }                          // the machine's VFIO driver
 * try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1())) { ... }    // a VFIO kernel in the JVM
 * }</pre>
 * From here: discover groups ({@link #iommuGroups()}), open containers and groups, and through
 * them devices. Closing it closes every descriptor and mapping still open on the backend; what it
 * made fails with {@code EBADF} from then on, and it makes nothing more ({@link IllegalStateException}).
 */
public final class Vfio implements AutoCloseable {
    private final VfioKernel kernel;
    private final String backend;
    /** How long {@link EventNotifier#await()} waits on this Vfio's notifiers; null for as long as it takes. */
    private volatile Duration awaitTimeout;
    private volatile boolean closed;

    private Vfio(VfioKernel kernel, String backend) {
        this.kernel = kernel;
        this.backend = backend;
    }

    /** VFIO on {@code backend}: a fresh kernel seam from {@link VfioBackend#boot()}. */
    public static Vfio open(VfioBackend backend) throws VfioException {
        FdHandle.required(backend, "the backend");
        return new Vfio(backend.boot(), backend.name());
    }

    /**
     * VFIO on this machine's kernel (needs the {@code org.vfio4j.kernel} module and native access).
     * Checks first that VFIO can be used here and fails with what is missing: the vfio module not
     * loaded ({@code ENOENT}), no permission on {@code /dev/vfio/vfio} ({@code EACCES}), native
     * access not enabled ({@code EPERM}, naming the flag), or not Linux ({@code ENOSYS}).
     *
     * @throws IllegalStateException when the kernel backend module is not on the module or class path
     */
    public static Vfio kernel() throws VfioException {
        for (VfioBackend b : ServiceLoader.load(VfioBackend.class)) {
            if (b.name().equals("kernel")) {
                b.checkUsable();
                return open(b);
            }
        }
        throw new IllegalStateException("no kernel backend: add the vfio4j-kernel-backend artifact (module org.vfio4j.kernel)"
                + " to the module or class path");
    }

    /** VFIO over an existing seam, for code that also uses the raw system calls. */
    public static Vfio over(VfioKernel kernel) {
        return new Vfio(FdHandle.required(kernel, "the seam"), kernel.name());
    }

    /** The raw system-call seam underneath (for ported C code and tests). */
    public VfioKernel seam() {
        return kernel;
    }

    /** The backend's name. */
    public String backend() {
        return backend;
    }

    /** The IOMMU groups of the machine, read from its sysfs. */
    public List<IommuGroupInfo> iommuGroups() throws IOException {
        checkOpen("iommuGroups");
        return SysfsDiscovery.groups(kernel.root());
    }

    /** One PCI function as sysfs describes it. */
    public PciDeviceInfo pciDevice(PciAddress address) throws IOException {
        checkOpen("pciDevice");
        return SysfsDiscovery.device(kernel.root(), FdHandle.required(address, "the PCI address"));
    }

    /** Opens {@code /dev/vfio/vfio}: a new, empty container. */
    public VfioContainer openContainer() throws VfioException {
        checkOpen("openContainer");
        return new VfioContainer(kernel, kernel.open("/dev/vfio/vfio", LinuxAbi.O_RDWR | LinuxAbi.O_CLOEXEC));
    }

    /** Opens group {@code id}'s node ({@code /dev/vfio/<id>}, or {@code noiommu-<id>} on a no-IOMMU host). */
    public VfioGroup openGroup(int id) throws VfioException {
        checkOpen("openGroup");
        // The node is opened before devfs is looked at: reading the tree is the simulator's most
        // expensive start-up step (it builds it on first use), and most programs never need it.
        try {
            return new VfioGroup(kernel, id, kernel.open("/dev/vfio/" + id, LinuxAbi.O_RDWR | LinuxAbi.O_CLOEXEC));
        } catch (VfioException e) {
            String noIommu = "noiommu-" + id;
            if (e.errno() != Errno.ENOENT || !Files.exists(kernel.root().resolve("dev/vfio").resolve(noIommu))) {
                throw e;
            }
            return new VfioGroup(kernel, id, kernel.open("/dev/vfio/" + noIommu, LinuxAbi.O_RDWR | LinuxAbi.O_CLOEXEC));
        }
    }

    /** A new eventfd on the backend, counter 0, close-on-exec. */
    public EventNotifier eventNotifier() throws VfioException {
        checkOpen("eventNotifier");
        return new EventNotifier(kernel, kernel.eventfd(0, LinuxAbi.EFD_CLOEXEC), () -> awaitTimeout);
    }

    /**
     * Bounds {@link EventNotifier#await()} on this Vfio's notifiers (those made before and after
     * the call): a wait longer than {@code timeout} throws {@code ETIMEDOUT} with what the backend
     * knows about the interrupts that could have come, as {@link EventNotifier#expectSignal} does.
     * A test harness sets it so that a driver waiting for an interrupt that never comes fails
     * instead of hanging; {@code null} restores waiting without a bound (the default).
     *
     * @param timeout the bound, positive, or null for none
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public void awaitTimeout(Duration timeout) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("an await timeout must be positive: " + timeout + " (null removes it)");
        }
        this.awaitTimeout = timeout;
    }

    /** The bound set by {@link #awaitTimeout(Duration)}, if any. */
    public Optional<Duration> awaitTimeout() {
        return Optional.ofNullable(awaitTimeout);
    }

    /** The address to give the kernel for {@code memory} (see {@link VfioKernel#userAddress}). */
    public long userAddress(MemorySegment memory) {
        checkOpen("userAddress");
        return kernel.userAddress(memory);
    }

    /** Closes the backend and everything open on it; a second close does nothing. */
    @Override
    public void close() {
        closed = true;
        kernel.close();
    }

    /** A closed Vfio makes nothing more: not even a sysfs read, whose tree may have gone with the backend. */
    private void checkOpen(String operation) {
        if (closed) {
            throw new IllegalStateException(operation + " on a closed Vfio (" + backend + " backend): closing it closed every"
                    + " descriptor and mapping it made; open a new Vfio");
        }
    }

}
