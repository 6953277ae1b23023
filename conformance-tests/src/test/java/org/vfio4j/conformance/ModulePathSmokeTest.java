package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator as a user meets it: the program in {@code src/smoke/java} (a module that requires
 * only {@code org.vfio4j.fixtures} and uses only exported packages) is compiled and run on the
 * module path in a fresh JVM without any flag. It opens a simulated host with edu, maps DMA, reads
 * config space and takes one INTx interrupt.
 */
class ModulePathSmokeTest {

    /** vfio4j's modules and what a user's build puts beside them (Jimfs and Guava, runtime deps). */
    private static final List<String> MODULE_PATH_CLASSES = List.of(
            "org.vfio4j.Vfio", "org.vfio4j.sim.SimulatedHost", "org.vfio4j.fixtures.QemuEdu",
            "com.google.common.jimfs.Jimfs", "com.google.common.collect.ImmutableList",
            "com.google.common.util.concurrent.internal.InternalFutureFailureAccess");

    @Test
    void smokeProgram_runsOnTheModulePath_withoutFlags(@TempDir Path tmp) throws Exception {
        String modulePath = modulePath();
        Path classes = tmp.resolve("classes");
        Path bin = Path.of(System.getProperty("java.home"), "bin");
        Run compile = run(tmp.resolve("javac.txt"), bin.resolve("javac").toString(),
                "-d", classes.toString(), "--module-path", modulePath,
                "--module-source-path", "org.vfio4j.smoke=" + Path.of("src/smoke/java").toAbsolutePath(),
                "-Xlint:all", "-Werror", "-m", "org.vfio4j.smoke");
        assertThat(compile.status).as("compiles against the exported API only:%n%s", compile.output).isZero();

        // "groups" also lists the IOMMU groups from the simulated sysfs, which lives on Jimfs.
        Run smoke = run(tmp.resolve("java.txt"), bin.resolve("java").toString(),
                "--module-path", modulePath + File.pathSeparator + classes,
                "-m", "org.vfio4j.smoke/org.vfio4j.smoke.Smoke", "groups");
        assertThat(smoke.status).as("exit status; output:%n%s", smoke.output).isZero();
        String text = smoke.output;
        assertThat(text.strip()).isEqualTo("""
                groups: 3 [0000:00:03.0]
                smoke: ids=11e81234 interrupts=1 status=1 dma=0x100000+4096 ok""");
    }

    /**
     * Cold start: a program that never looks at sysfs does not pay for it. The simulated sysfs is
     * an in-memory Jimfs tree whose Guava-backed start-up was half of a cold JVM's time; it is
     * built on the first {@code root()}.
     */
    @Test
    void smokeProgram_withoutDiscovery_loadsNoJimfsOrGuava(@TempDir Path tmp) throws Exception {
        String modulePath = modulePath();
        Path classes = tmp.resolve("classes");
        Path bin = Path.of(System.getProperty("java.home"), "bin");
        Run compile = run(tmp.resolve("javac.txt"), bin.resolve("javac").toString(),
                "-d", classes.toString(), "--module-path", modulePath,
                "--module-source-path", "org.vfio4j.smoke=" + Path.of("src/smoke/java").toAbsolutePath(), "-m", "org.vfio4j.smoke");
        assertThat(compile.status).as(compile.output).isZero();
        Run smoke = run(tmp.resolve("java.txt"), bin.resolve("java").toString(), "-Xlog:class+load=info:stdout:tags",
                "--module-path", modulePath + File.pathSeparator + classes, "-m", "org.vfio4j.smoke/org.vfio4j.smoke.Smoke");
        assertThat(smoke.status).as("exit status; output:%n%s", smoke.output).isZero();
        assertThat(smoke.output.lines().filter(l -> l.contains("com.google.common."))).as("classes loaded").isEmpty();
        assertThat(smoke.output).contains("smoke: ids=11e81234 interrupts=1");
    }

    private record Run(int status, String output) {}

    private static Run run(Path log, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return new Run(-1, "timed out after 60 s: " + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static String modulePath() throws ClassNotFoundException, URISyntaxException {
        List<String> entries = new ArrayList<>();
        for (String name : MODULE_PATH_CLASSES) {
            Class<?> c = Class.forName(name, false, ModulePathSmokeTest.class.getClassLoader());
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
