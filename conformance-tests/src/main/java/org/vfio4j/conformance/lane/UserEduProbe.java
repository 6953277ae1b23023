package org.vfio4j.conformance.lane;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.VfioKernel;

/**
 * The edu part of the vfio-user lane, run in its guest ({@code conformance-tests/src/lane/vfio-user-lane}):
 * the real-kernel lane's {@link DeviceProbe} on the guest's vfio-pci against QEMU's built-in edu
 * ({@code EDU_GROUP}, {@code EDU_BDF} in the environment qemu-lane's guest writes) and against
 * vfio4j's Java edu served over vfio-user, once by a simulated Linux 6.12 ({@code USER1_*}) and once
 * by a simulated 6.1 ({@code USER2_*}), compared by {@link EduProbeDiff}. Usage: {@code UserEduProbe
 * OUTDIR}; writes each probe's lines into OUTDIR, prints the differences, exits 1 on any that is not
 * allowed.
 */
public final class UserEduProbe {
    private UserEduProbe() {}

    /** Runs the three probes and compares them; arguments as in the class description. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        VfioKernel k = KernelBackend.open();
        List<String> builtin = probe(k, "EDU", dir.resolve("probe-builtin-edu.txt"));
        List<String> on612 = probe(k, "USER1", dir.resolve("probe-java-edu-6.12.txt"));
        List<String> on61 = probe(k, "USER2", dir.resolve("probe-java-edu-6.1.txt"));
        k.close();
        int unexpected = report("Java edu on simulated Linux 6.12", builtin, EduProbeDiff.compare(builtin, on612, false))
                + report("Java edu on simulated Linux 6.1", builtin, EduProbeDiff.compare(builtin, on61, true));
        System.out.println("edu probe over vfio-user: " + (unexpected == 0 ? "passed" : "FAILED") + ", " + unexpected
                + " unexpected difference(s)");
        System.exit(unexpected == 0 ? 0 : 1);
    }

    private static List<String> probe(VfioKernel k, String name, Path file) throws Exception {
        String group = System.getenv(name + "_GROUP");
        String bdf = System.getenv(name + "_BDF");
        if (group == null || bdf == null) {
            throw new IllegalStateException("the guest has no " + name + "_GROUP/" + name + "_BDF: is the function bound to vfio-pci?");
        }
        List<String> lines = DeviceProbe.lines(k, Integer.parseInt(group), bdf);
        Files.write(file, lines);
        return lines;
    }

    private static int report(String what, List<String> reference, List<EduProbeDiff.Difference> diffs) {
        long unexpected = diffs.stream().filter(EduProbeDiff.Difference::unexpected).count();
        System.out.printf("%s against QEMU's built-in edu: %d lines, %d equal apart from BAR0 address and interrupt line, "
                + "%d allowed difference(s), %d unexpected%n", what, reference.size(), reference.size() - diffs.size(),
                diffs.size() - unexpected, unexpected);
        for (EduProbeDiff.Difference d : diffs) {
            System.out.printf("  %s line %d%n    built-in: %s%n    served:   %s%n", d.unexpected() ? "UNEXPECTED" : "allowed", d.line(),
                    d.reference(), d.other());
            if (!d.unexpected()) {
                System.out.println("    because:  " + d.allowedBecause());
            }
        }
        return (int) unexpected;
    }
}
