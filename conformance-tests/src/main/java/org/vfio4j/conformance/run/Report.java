package org.vfio4j.conformance.run;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The readable report: one row per property with its outcome on each side, then the divergences. */
public final class Report {
    private Report() {}

    static long failures(List<ContractRunner.Outcome> outcomes) {
        return outcomes.stream().filter(o -> o.status() == ContractRunner.Status.FAILED).count();
    }

    /** A table of one or two runs over the same contracts, and the differential summary (may be null). */
    public static String render(String title, String firstName, List<ContractRunner.Outcome> first, String secondName,
                                List<ContractRunner.Outcome> second, DifferentialRunner.Summary diff, double diffSeconds) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (ContractRunner.Outcome o : first) {
            rows.computeIfAbsent(o.contract() + "|" + o.property(), k -> new String[2])[0] = cell(o);
        }
        if (second != null) {
            for (ContractRunner.Outcome o : second) {
                rows.computeIfAbsent(o.contract() + "|" + o.property(), k -> new String[2])[1] = cell(o);
            }
        }
        StringBuilder sb = new StringBuilder("\n== vfio4j conformance report: " + title + " ==\n");
        int width = Math.max(52, rows.keySet().stream().mapToInt(k -> k.length() - k.indexOf('|') - 1).max().orElse(0));
        String row = "%-22s %-" + width + "s %-9s %s%n";
        sb.append(String.format(row, "contract", "property", firstName, second == null ? "" : secondName));
        rows.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\\|", 2);
            sb.append(String.format(row, k[0], k[1], nz(e.getValue()[0]), second == null ? "" : nz(e.getValue()[1])));
        });
        sb.append(summary(firstName, first));
        if (second != null) {
            sb.append(summary(secondName, second));
        }
        for (ContractRunner.Outcome o : concat(first, second)) {
            if (o.status() != ContractRunner.Status.PASSED) {
                sb.append("  ").append(o.status().name().toLowerCase()).append(": ").append(o.contract()).append(" ")
                        .append(o.property()).append(": ").append(o.detail()).append('\n');
            }
        }
        if (diff != null) {
            sb.append(String.format("differential: %d chains, %d calls on each side in %.1f s, %d divergences%n",
                    diff.chains(), diff.steps(), diffSeconds, diff.divergences().size()));
            for (DifferentialRunner.Divergence d : diff.divergences()) {
                sb.append("  divergence (seed ").append(d.seed()).append(", step ").append(d.step()).append("): ").append(d.call())
                        .append("\n    kernel:    ").append(d.first()).append("\n    simulator: ").append(d.second())
                        .append("\n    after:     ").append(d.history()).append('\n');
            }
        }
        return sb.toString();
    }

    private static List<ContractRunner.Outcome> concat(List<ContractRunner.Outcome> a, List<ContractRunner.Outcome> b) {
        return b == null ? a : java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String summary(String name, List<ContractRunner.Outcome> outcomes) {
        long passed = outcomes.stream().filter(o -> o.status() == ContractRunner.Status.PASSED).count();
        long skipped = outcomes.stream().filter(o -> o.status() == ContractRunner.Status.SKIPPED).count();
        return String.format("%s: %d passed, %d failed, %d skipped%n", name, passed, failures(outcomes), skipped);
    }

    private static String cell(ContractRunner.Outcome o) {
        return o.status().name().toLowerCase();
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }
}
