package org.vfio4j.conformance.power;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.vfio4j.conformance.power.ScriptCommand.*;

/**
 * The chains never send the three Linux 6.12 bugs, checked by an independent scan of the text
 * ({@link BugScan}), and are deterministic, well-formed and varied.
 */
class SpaprChainsTest {

    @Property(tries = 300)
    void chains_neverContainAKernelBug(@ForAll long seed) {
        String text = SpaprChains.generate(seed, 8);
        assertThat(BugScan.violations(PowerScript.parse(text))).as("seed %d:%n%s", seed, text).isEmpty();
    }

    @Test
    void theLanesChains_andTheSmokeScript_neverContainAKernelBug() throws Exception {
        assertThat(BugScan.violations(PowerScript.parse(SpaprChains.generate(SpaprChains.DEFAULT_SEED, 500)))).isEmpty();
        Path checkout = Path.of("..").toAbsolutePath().normalize();
        assertThat(BugScan.violations(PowerScript.parse(PowerLane.smoke(checkout).text()))).as(PowerLane.smoke(checkout).origin()).isEmpty();
    }

    @Test
    void theScan_findsEachBug_whenOneIsWrittenIn() {
        assertThat(BugScan.violations(PowerScript.parse("open c0\nmap c0 0x7fff0000 0 0x20000 3\n")))
                .singleElement().asString().contains("ends past a window");
        assertThat(BugScan.violations(PowerScript.parse("open c0\ncreate c0 16 0x1000000 1\nunmap c0 0x800000000ff0000 0x20000 0\n")))
                .singleElement().asString().contains("ends past a window");
        assertThat(BugScan.violations(PowerScript.parse("open c0\nmap c0 0x10000 0 0xffffffffffffffff 3\n")))
                .singleElement().asString().contains("ends past a window");
        assertThat(BugScan.violations(PowerScript.parse("open c0\nregister c0 0 0x10000\nmap c0 0 0x8000 0x1000 3\nunregister c0 0 0x10000\n")))
                .singleElement().asString().contains("mapped");
        assertThat(BugScan.violations(PowerScript.parse("open c0\nregister c0 0 0 1 24\n")))
                .singleElement().asString().contains("size 0");
        // undone mappings are not a bug
        assertThat(BugScan.violations(PowerScript.parse("""
                open c0
                register c0 0 0x10000
                map c0 0 0x8000 0x1000 3
                unmap c0 0 0x1000 0 => 0
                map c0 0x2000 0 0x1000 3
                remove c0 0
                unregister c0 0 0x10000
                closeall
                map c0 0x7fff0000 0 0x20000 3
                """))).singleElement().asString().contains("line 9");
    }

    @Test
    void sameSeed_sameText_otherSeed_otherText() {
        assertThat(SpaprChains.generate(7, 20)).isEqualTo(SpaprChains.generate(7, 20));
        assertThat(SpaprChains.generate(7, 20)).isNotEqualTo(SpaprChains.generate(8, 20));
        assertThat(SpaprChains.generate(7, 20)).startsWith(SpaprChains.generate(7, 10).lines().findFirst().orElseThrow().replace("10", "20"));
    }

    @Test
    void chains_parseWithoutBadLines_andEachOpensANvmeGroup_setsAnIommu_andClosesAll() {
        PowerScript s = PowerScript.parse(SpaprChains.generate(SpaprChains.DEFAULT_SEED, 200));
        assertThat(s.lines()).noneMatch(l -> l.command() instanceof BadCommand);
        List<List<PowerScript.Line>> chains = split(s);
        assertThat(chains).hasSize(200);
        for (List<PowerScript.Line> chain : chains) {
            List<String> echo = chain.stream().map(PowerScript.Line::echo).toList();
            assertThat(echo.subList(0, 2)).containsExactly("open c0", "group g0 nvme");
            assertThat(echo).contains("setcontainer g0 c0").containsAnyOf("setiommu c0 2", "setiommu c0 7");
            assertThat(chain.getLast().command()).isInstanceOf(CloseAll.class);
            long middle = chain.size() - echo.indexOf("setiommu c0 " + (echo.contains("setiommu c0 7") ? 7 : 2));
            assertThat(middle).as("calls after SET_IOMMU").isBetween(15L, 60L);
        }
    }

    @Test
    void chains_coverEveryKind_butTheSlowOnes_rarely() {
        List<List<PowerScript.Line>> chains = split(PowerScript.parse(SpaprChains.generate(SpaprChains.DEFAULT_SEED, 200)));
        Set<Class<?>> kinds = chains.stream().flatMap(List::stream).map(l -> l.command().getClass()).collect(Collectors.toSet());
        assertThat(kinds).contains(Info.class, CheckExtension.class, Status.class, Enable.class, Disable.class, Register.class,
                Unregister.class, Create.class, Remove.class, MapDma.class, UnmapDma.class, Eeh.class, Inject.class, Device.class,
                Read.class, SetIommu.class, UnsetContainer.class, Close.class);
        long v1 = chains.stream().filter(c -> c.stream().anyMatch(l -> l.echo().equals("setiommu c0 2"))).count();
        assertThat(v1).as("v1 chains").isBetween(30L, 100L);
        long eduDevices = chains.stream().filter(c -> c.stream().anyMatch(l -> l.echo().equals("device d1 g1 edu"))).count();
        long resets = chains.stream().mapToLong(c -> c.stream().filter(l -> l.echo().equals("eeh c2 6")).count()).sum();
        assertThat(eduDevices).as("edu device opens (5 s each in the guest)").isLessThanOrEqualTo(8);
        assertThat(resets).as("EEH hot resets of edu's PE (5 s each)").isBetween(1L, 30L);
        assertThat(chains).allMatch(c -> c.stream().filter(l -> l.echo().equals("eeh c2 6")).count() <= 1);
        assertThat(chains).as("hot resets only in edu's own container c2: NVMe does not survive one")
                .allMatch(c -> c.stream().noneMatch(l -> l.echo().matches("eeh c[01] 6.*")));
        long expectations = chains.stream().flatMap(List::stream).filter(l -> l.expectation().isPresent()).count();
        long all = chains.stream().mapToLong(List::size).sum();
        assertThat(expectations).as("lines with an expectation").isGreaterThan(all / 2);
        assertThat(chains.stream().flatMap(List::stream).filter(l -> l.expectation().filter("0"::equals).isPresent()
                && (l.command() instanceof MapDma || l.command() instanceof Unregister || l.command() instanceof Create))
                .count()).as("successful maps, unregisters and creates").isGreaterThan(100);
    }

    private static List<List<PowerScript.Line>> split(PowerScript s) {
        List<List<PowerScript.Line>> chains = new ArrayList<>();
        List<PowerScript.Line> current = new ArrayList<>();
        for (PowerScript.Line l : s.lines()) {
            current.add(l);
            if (l.command() instanceof CloseAll) {
                chains.add(current);
                current = new ArrayList<>();
            }
        }
        return chains;
    }

    /**
     * An independent scan for the three bugs, from the script text alone. Between two {@code
     * closeall} lines (one container's life):
     * <ul>
     * <li>windows can only start at 0 or 2^59 and be 2 GiB or a size some {@code create} asked for:
     *     no map or unmap may start inside such a range and end past it;</li>
     * <li>a map is live unless it cannot succeed (size 0, no direction, not 4 KiB aligned, expected
     *     to fail, or starting in no possible window) until an unmap expected to succeed covers it, or
     *     its window slot is removed; no unregister may touch the memory of a live map, but in a
     *     container set to v1 (which has no preregistered memory);</li>
     * <li>no register has size 0.</li>
     * </ul>
     */
    static final class BugScan {
        private static final long SLOT1 = 1L << 59;

        record Live(long iova, long size, long off) {}

        static List<String> violations(PowerScript script) {
            List<String> found = new ArrayList<>();
            TreeSet<Long> sizes = new TreeSet<>(Long::compareUnsigned);
            List<Live> live = new ArrayList<>();
            java.util.Set<ScriptCommand.Handle> v1 = new java.util.HashSet<>(); // v1 has no preregistered memory: UNREGISTER is ENOTTY
            sizes.add(0x8000_0000L);
            for (PowerScript.Line l : script.lines()) {
                String where = "line " + l.number() + " (" + l.echo() + ")";
                boolean failsForSure = l.expectation().filter(e -> e.startsWith("-")).isPresent();
                boolean succeeds = l.expectation().filter(e -> e.equals("0") || e.startsWith("0 ")).isPresent();
                switch (l.command()) {
                    case SetIommu t -> {
                        if (t.type() == 2 && succeeds) {
                            v1.add(t.container());
                        }
                    }
                    case Close c -> v1.remove(c.handle());
                    case CloseAll c -> {
                        v1.clear();
                        sizes.clear();
                        sizes.add(0x8000_0000L);
                        live.clear();
                    }
                    case Create c -> sizes.add(c.windowSize());
                    case MapDma m -> {
                        if (straddles(sizes, m.iova(), m.size())) {
                            found.add(where + ": starts inside a window and ends past a window's end");
                        }
                        boolean cannot = m.size() == 0 || m.flags() == 0 || ((m.iova() | m.size() | m.offset()) & 0xfff) != 0
                                || failsForSure || !inside(sizes, m.iova());
                        if (!cannot) {
                            live.add(new Live(m.iova(), m.size(), m.offset()));
                        }
                    }
                    case UnmapDma u -> {
                        if (straddles(sizes, u.iova(), u.size())) {
                            found.add(where + ": starts inside a window and ends past a window's end");
                        }
                        if (succeeds) {
                            List<Live> kept = new ArrayList<>();
                            for (Live x : live) {
                                long end = x.iova() + x.size();
                                long until = u.iova() + u.size();
                                if (end <= u.iova() || until <= x.iova()) {
                                    kept.add(x);
                                } else {
                                    if (x.iova() < u.iova()) {
                                        kept.add(new Live(x.iova(), u.iova() - x.iova(), x.off()));
                                    }
                                    if (until < end) {
                                        kept.add(new Live(until, end - until, x.off() + until - x.iova()));
                                    }
                                }
                            }
                            live.clear();
                            live.addAll(kept);
                        }
                    }
                    case Remove r -> {
                        boolean slotStart = r.start() == 0 || r.start() == SLOT1;
                        if ((r.flags() == 0 && r.argsz() >= 16 && slotStart) || succeeds) {
                            boolean high = Long.compareUnsigned(r.start(), SLOT1) >= 0;
                            live.removeIf(x -> Long.compareUnsigned(x.iova(), SLOT1) >= 0 == high);
                        }
                    }
                    case Unregister u -> {
                        if (!v1.contains(u.container()) && live.stream().anyMatch(x -> x.off() < u.offset() + u.size() && u.offset() < x.off() + x.size())) {
                            found.add(where + ": unregisters memory that may still be mapped");
                        }
                    }
                    case Register r -> {
                        if (r.size() == 0) {
                            found.add(where + ": registers size 0");
                        }
                    }
                    default -> {
                    }
                }
            }
            return found;
        }

        private static boolean inside(TreeSet<Long> sizes, long iova) {
            for (long start : new long[] {0, SLOT1}) {
                for (long size : sizes) {
                    if (Long.compareUnsigned(iova, start) >= 0 && Long.compareUnsigned(iova, start + size) < 0) {
                        return true;
                    }
                }
            }
            return false;
        }

        private static boolean straddles(TreeSet<Long> sizes, long iova, long size) {
            long end = iova + size;
            boolean wraps = Long.compareUnsigned(end, iova) < 0;
            for (long start : new long[] {0, SLOT1}) {
                for (long windowSize : sizes) {
                    long windowEnd = start + windowSize;
                    boolean starts = Long.compareUnsigned(iova, start) >= 0 && Long.compareUnsigned(iova, windowEnd) < 0;
                    if (starts && (wraps || Long.compareUnsigned(end, windowEnd) > 0)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }
}
