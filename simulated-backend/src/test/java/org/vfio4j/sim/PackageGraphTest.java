package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The simulator's packages form a tree, as drivers/vfio does: the public surface ({@code
 * org.vfio4j.sim}) wires vfio-pci ({@code pci}) and the IOMMU drivers ({@code iommu}) to the VFIO
 * core ({@code core}), which sees neither; the device SPI ({@code device}) and {@code internal}
 * sit below everything; the vfio-user server ({@code user}) is a client of the public surface. Read from the compiled classes: every class a class file names is in its
 * constant pool, so no reference (a field type, a lambda, a cast) escapes the check.
 */
class PackageGraphTest {
    /** How deep each package sits; a package may only use packages strictly below it. */
    private static final Map<String, Integer> LAYER = Map.of(
            "internal", 0,
            "device", 1,
            "core", 2,
            "eeh", 3,
            "iommu", 4,
            "pci", 4,
            "", 5,
            "user", 6); // the vfio-user server: a program of the simulated kernel, through its public surface

    private static final Path CLASSES = Path.of("target", "classes", "org", "vfio4j", "sim");
    private static final Pattern NAME = Pattern.compile("org/vfio4j/sim/(?:([a-z]+)/)?[A-Z]");

    @Test
    void everyPackageUsesOnlyPackagesBelowIt() {
        Map<String, Set<String>> graph = graph();
        assertThat(graph).as("compiled classes under %s", CLASSES).isNotEmpty();
        List<String> upward = new ArrayList<>();
        graph.forEach((from, tos) -> {
            assertThat(LAYER).as("package org.vfio4j.sim%s has no layer in this test", dotted(from)).containsKey(from);
            for (String to : tos) {
                if (LAYER.get(to) >= LAYER.get(from)) {
                    upward.add("org.vfio4j.sim" + dotted(from) + " -> org.vfio4j.sim" + dotted(to));
                }
            }
        });
        assertThat(upward).as("package edges that do not go down the tree").isEmpty();
    }

    @Test
    void thePackageGraphHasNoCycle() {
        Map<String, Set<String>> graph = graph();
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            List<String> cycle = cycleFrom(start, graph, new ArrayList<>(), done);
            assertThat(cycle.stream().map(p -> "org.vfio4j.sim" + dotted(p)).toList()).as("a package cycle").isEmpty();
        }
    }

    /** A cycle reachable from {@code node} (the packages on it), or an empty list. */
    private static List<String> cycleFrom(String node, Map<String, Set<String>> graph, List<String> path, Set<String> done) {
        int at = path.indexOf(node);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(node);
            return cycle;
        }
        if (done.contains(node)) {
            return List.of();
        }
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> cycle = cycleFrom(next, graph, path, done);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        done.add(node);
        return List.of();
    }

    /** Package (relative to org.vfio4j.sim, "" for itself) to the other simulator packages its classes name. */
    private static Map<String, Set<String>> graph() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String from = CLASSES.relativize(file.getParent()).toString().replace('/', '.');
                Set<String> tos = graph.computeIfAbsent(from, k -> new TreeSet<>());
                // class names are ASCII in the constant pool: read the file as Latin-1 and look for them
                Matcher m = NAME.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    String to = m.group(1) == null ? "" : m.group(1);
                    if (!to.equals(from)) {
                        tos.add(to);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    private static String dotted(String pkg) {
        return pkg.isEmpty() ? "" : "." + pkg;
    }
}
