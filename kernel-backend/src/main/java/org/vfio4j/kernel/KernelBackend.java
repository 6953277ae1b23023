package org.vfio4j.kernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * Entry point of the kernel backend: the real Linux VFIO driver through libc.
 *
 * <p>{@link #open()} gives the system-call seam on this machine; it works without VFIO (eventfds,
 * files) as long as libc can be linked. {@link #availability()} says whether VFIO itself can be
 * used here, and if not, exactly what is missing: native access for this module, the
 * {@code /dev/vfio/vfio} node, or permission to open it.
 */
public final class KernelBackend {
    private KernelBackend() {}

    /** The VFIO container node every VFIO program starts from. */
    public static final String CONTAINER_NODE = "/dev/vfio/vfio";

    /**
     * The seam on this machine, backed by libc downcalls. Without {@code --enable-native-access}
     * the JDK prints a warning on first use (and future JDKs may refuse): see {@link #availability()}.
     *
     * @throws UnsupportedOperationException when this is not a 64-bit Linux on x86-64 or arm64
     */
    public static VfioKernel open() {
        String unsupported = platformProblem();
        if (unsupported != null) {
            throw new UnsupportedOperationException(unsupported);
        }
        return new LinuxKernel();
    }

    /** Whether VFIO can be used here, and what is missing if not; opens and closes the container node to find out. */
    public static Availability availability() {
        boolean nativeAccess = KernelBackend.class.getModule().isNativeAccessEnabled();
        String platform = platformProblem();
        int openErrno = -1;
        if (platform == null && Files.exists(Path.of(CONTAINER_NODE))) {
            openErrno = 0;
            try (VfioKernel k = new LinuxKernel()) {
                k.close(k.open(CONTAINER_NODE, LinuxAbi.O_RDWR | LinuxAbi.O_CLOEXEC));
            } catch (VfioException e) {
                openErrno = e.errnoNumber();
            }
        }
        return Availability.of(platform, nativeAccess, KernelBackend.class.getModule().getName(), openErrno);
    }

    /**
     * Fails when {@link #availability()} finds a problem, with all its sentences as the explanation
     * and the errno of the most basic one: {@code ENOSYS} (not Linux), {@code ENOENT} (no node),
     * {@code EACCES}/{@code EPERM} (the open's errno), or {@code EPERM} (native access off).
     */
    public static void requireAvailable() throws VfioException {
        Availability a = availability();
        if (!a.isAvailable()) {
            throw new VfioException(a.errno(), "open", CONTAINER_NODE, "VFIO cannot be used here: " + String.join("; ", a.problems()));
        }
    }

    private static String platformProblem() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.equals("Linux")) {
            return "VFIO is a Linux interface; this is " + os;
        }
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
            return "the kernel backend's ABI constants are those of x86-64 and arm64; this is " + arch;
        }
        return null;
    }

    /**
     * What the kernel backend needs that this machine or JVM lacks; empty when VFIO can be used.
     *
     * @param problems one sentence each, saying what is missing and how to fix it
     * @param errno    the errno a caller that must fail reports (0 when nothing is missing)
     */
    public record Availability(List<String> problems, int errno) {
        /** Keeps an unmodifiable copy of {@code problems}. */
        public Availability {
            problems = List.copyOf(problems);
        }

        /** Whether nothing is missing. */
        public boolean isAvailable() {
            return problems.isEmpty();
        }

        /**
         * The verdict for a platform problem (or {@code null}), whether native access is enabled for
         * {@code moduleName} ({@code null}: the class path), and the errno of opening {@code
         * /dev/vfio/vfio} ({@code -1}: the node does not exist, {@code 0}: it opened).
         */
        static Availability of(String platformProblem, boolean nativeAccess, String moduleName, int openErrno) {
            List<String> problems = new ArrayList<>();
            int errno = 0;
            if (platformProblem != null) {
                problems.add(platformProblem);
                errno = Errno.ENOSYS.number();
            } else if (openErrno < 0) {
                errno = Errno.ENOENT.number();
            } else if (openErrno != 0) {
                errno = openErrno;
            } else if (!nativeAccess) {
                errno = Errno.EPERM.number();
            }
            if (!nativeAccess) {
                problems.add("native access is not enabled for " + (moduleName == null ? "the class path" : "module " + moduleName)
                        + ": add --enable-native-access=" + (moduleName == null ? "ALL-UNNAMED" : moduleName)
                        + " to the java command line");
            }
            if (platformProblem == null) {
                if (openErrno < 0) {
                    problems.add("no " + CONTAINER_NODE + ": the vfio module is not loaded (modprobe vfio-pci) or /dev is not mounted");
                } else if (openErrno == Errno.EACCES.number() || openErrno == Errno.EPERM.number()) {
                    problems.add("permission denied opening " + CONTAINER_NODE
                            + ": run as root or give this user access to /dev/vfio (e.g. a udev rule for the group node)");
                } else if (openErrno != 0) {
                    Errno e = Errno.of(openErrno);
                    problems.add("opening " + CONTAINER_NODE + " failed with " + e.name() + " (" + e.description() + ")");
                }
            }
            return new Availability(problems, errno);
        }
    }
}
