package org.vfio4j.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vfio4j.Errno;
import org.vfio4j.spi.LinuxAbi;

/**
 * The ABI proof: the C compiler is the reference. A C program is generated from the Java model
 * ({@link VfioUapi}, {@link VfioLayouts}, {@link LinuxAbi}, {@link Errno}), compiled with {@code gcc}
 * against the system's {@code <linux/vfio.h>}, and run; it prints what C says of every item
 * ({@code sizeof}, {@code _Alignof}, {@code offsetof} and {@code sizeof} of every member, the
 * {@code offsetof} or {@code sizeof} behind every {@link VfioStructs} constant, the value of every
 * constant and ioctl number, each errno's value and {@code strerror} text), and this test compares
 * it with what Java says. A Java item the header lacks fails compilation, so it fails too.
 *
 * <p>Coverage is checked against the committed inventory of the seed header (see {@link
 * SeedInventoryTest}): every macro, enum constant, struct and struct member listed there must be in
 * the Java model and therefore in the comparison. Skips (never passes) without gcc or the header.
 */
class AbiProofTest {

    private static final Path HEADER = Path.of("/usr/include/linux/vfio.h");

    private static Map<String, String> javaFacts;
    private static Map<String, String> cFacts;
    private static int structs;
    private static int members;
    private static int offsetConstants;
    private static int constants;
    private static int ioctls;
    private static int errnos;

    @BeforeAll
    static void runProbe(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HEADER), "no " + HEADER + " (Debian package linux-libc-dev)");
        assumeTrue(gccWorks(), "gcc is not installed");

        javaFacts = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <stdio.h>
                #include <stddef.h>
                #include <string.h>
                #include <errno.h>
                #include <fcntl.h>
                #include <poll.h>
                #include <sys/eventfd.h>
                #include <sys/ioctl.h>
                #include <sys/mman.h>
                #include <linux/vfio.h>
                #include <linux/pci_regs.h>
                int main(void) {
                """);
        for (Field f : constantFields(VfioUapi.class)) {
            constant(c, f);
            if (f.getName().equals("VFIO_TYPE") || f.getType() != long.class) {
                constants++;
            } else {
                ioctls++;
            }
        }
        for (Field f : constantFields(LinuxAbi.class)) {
            constant(c, f);
            constants++;
        }
        // the public names of the typed API, under their C names
        for (Field f : constantFields(org.vfio4j.PciRegisters.class)) {
            fact(c, "const PCI_" + f.getName(), "%lld", "(long long)(PCI_" + f.getName() + ")", ((Number) f.get(null)).longValue());
            constants++;
        }
        for (Field f : constantFields(org.vfio4j.DeviceFeature.class)) {
            String name = "VFIO_DEVICE_FEATURE_" + f.getName();
            fact(c, "const " + name, "%lld", "(long long)(" + name + ")", ((Number) f.get(null)).longValue());
            constants++;
        }
        for (Field f : constantFields(VfioLayouts.class)) {
            StructLayout layout = (StructLayout) f.get(null);
            String s = "struct " + layout.name().orElseThrow();
            fact(c, s + " sizeof", "%zu", "sizeof(" + s + ")", layout.byteSize());
            fact(c, s + " alignof", "%zu", "_Alignof(" + s + ")", layout.byteAlignment());
            for (CLayout.Member m : CLayout.members(layout)) {
                fact(c, s + " offsetof " + m.path(), "%zu", "offsetof(" + s + ", " + m.path() + ")", m.offset());
                if (!m.flexible()) {
                    fact(c, s + " sizeof " + m.path(), "%zu", "sizeof(((" + s + " *)0)->" + m.path() + ")", m.size());
                }
                members++;
            }
            structs++;
        }
        // the offset constants code uses: each against offsetof/sizeof of its struct
        for (Class<?> nested : VfioStructs.class.getClasses()) {
            String s = "struct " + nested.getSimpleName();
            for (Field f : constantFields(nested)) {
                String expression = f.getName().equals("SIZE") ? "sizeof(" + s + ")" : "offsetof(" + s + ", " + f.getName() + ")";
                fact(c, "VfioStructs " + nested.getSimpleName() + "." + f.getName(), "%zu", expression, f.getInt(null));
                offsetConstants++;
            }
        }
        for (Errno e : Errno.values()) {
            if (e == Errno.UNKNOWN) {
                continue;
            }
            fact(c, "errno " + e.name(), "%d", e.name(), e.number());
            fact(c, "strerror " + e.name(), "%s", "strerror(" + e.name() + ")", e.description());
            errnos++;
        }
        c.append("  return 0;\n}\n");

        Path source = dir.resolve("abi_probe.c");
        Files.writeString(source, c);
        Path binary = dir.resolve("abi_probe");
        String compileOutput = run(List.of("gcc", "-std=gnu11", "-Wall", "-Werror", "-o", binary.toString(), source.toString()));
        cFacts = new LinkedHashMap<>();
        for (String line : run(List.of(binary.toString())).split("\n")) {
            int tab = line.indexOf('\t');
            cFacts.put(line.substring(0, tab), line.substring(tab + 1));
        }
        assertThat(compileOutput).as("gcc diagnostics").isEmpty();
    }

    @Test
    void everyJavaFact_equalsWhatGccSays() {
        List<String> mismatches = new ArrayList<>();
        javaFacts.forEach((key, javaValue) -> {
            String cValue = cFacts.get(key);
            if (!javaValue.equals(cValue)) {
                mismatches.add(key + ": Java " + javaValue + ", C " + cValue);
            }
        });
        System.out.printf("ABI proof against gcc and %s: %d structs, %d struct members, %d offset constants, %d constants,"
                        + " %d ioctl numbers, %d errno values (%d facts compared)%n",
                HEADER, structs, members, offsetConstants, constants, ioctls, errnos, javaFacts.size());
        assertThat(mismatches).as("Java facts that differ from C").isEmpty();
        assertThat(cFacts).hasSameSizeAs(javaFacts);
    }

    @Test
    void everySeedItem_isInTheJavaModel() throws Exception {
        SeedHeader seed = SeedHeader.inventory();
        TreeSet<String> javaConstants = new TreeSet<>();
        for (Field f : constantFields(VfioUapi.class)) {
            javaConstants.add(f.getName());
        }
        assertThat(javaConstants).containsAll(seed.defines()).containsAll(seed.enums());

        Map<String, List<String>> javaStructs = new LinkedHashMap<>();
        for (Field f : constantFields(VfioLayouts.class)) {
            StructLayout layout = (StructLayout) f.get(null);
            assertThat(f.getName()).as("field named after its struct").isEqualTo(layout.name().orElseThrow());
            javaStructs.put(f.getName(), CLayout.members(layout).stream()
                    .map(CLayout.Member::path).filter(p -> !p.contains(".")).toList());
        }
        assertThat(javaStructs).containsKeys(seed.structs().keySet().toArray(String[]::new));
        seed.structs().forEach((name, seedMembers) ->
                assertThat(javaStructs.get(name)).as("members of struct %s", name).containsAll(seedMembers));
        System.out.printf("seed coverage: %d of %d macros, %d of %d enum constants, %d of %d structs in the Java model%n",
                seed.defines().size(), seed.defines().size(), seed.enums().size(), seed.enums().size(),
                seed.structs().size(), seed.structs().size());
    }

    private static void constant(StringBuilder c, Field f) throws IllegalAccessException {
        Object v = f.get(null);
        String key = "const " + f.getName();
        if (v instanceof String s) {
            fact(c, key, "%s", f.getName(), s);
        } else {
            fact(c, key, "%lld", "(long long)(" + f.getName() + ")", ((Number) v).longValue());
        }
    }

    private static void fact(StringBuilder c, String key, String format, String expression, Object javaValue) {
        javaFacts.put(key, String.valueOf(javaValue));
        c.append("  printf(\"%s\\t").append(format).append("\\n\", \"").append(key).append("\", ")
                .append(expression).append(");\n");
    }

    private static List<Field> constantFields(Class<?> type) {
        List<Field> fields = new ArrayList<>();
        for (Field f : type.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers())) {
                fields.add(f);
            }
        }
        return fields;
    }

    private static boolean gccWorks() {
        try {
            run(List.of("gcc", "--version"));
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
