import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times cold JVMs: runs each given command once per round, alternating the commands inside a round
 * so that machine noise falls on all of them alike, and prints each command's median, quartiles
 * and best wall time, and every command's median over the first one's (the baseline). On Linux it
 * also prints the median CPU time (user + system, all threads) of each command, in clock ticks of
 * 10 ms, which other load on the machine disturbs less than wall time.
 *
 * <pre>
 * java ColdStart.java ROUNDS 'label=java -cp a Hello' 'label=java -m smoke/x.Smoke' ...
 * </pre>
 *
 * A command is split on spaces (no quoting). Every run must exit 0, and a command whose label ends
 * in {@code ?ok} must print a line ending in "ok"; otherwise the benchmark stops with the output.
 */
public final class ColdStart {
    private ColdStart() {}

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        int warmup = 2; // the first runs read the jars from disk into the page cache
        List<String> labels = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        for (String a : Arrays.asList(args).subList(1, args.length)) {
            int eq = a.indexOf('=');
            labels.add(a.substring(0, eq));
            commands.add(List.of(a.substring(eq + 1).trim().split(" +")));
        }
        long[][] nanos = new long[commands.size()][rounds];
        long[][] cpu = new long[commands.size()][rounds];
        for (int r = -warmup; r < rounds; r++) {
            for (int c = 0; c < commands.size(); c++) {
                long before = childrenCpuNanos();
                long t = run(labels.get(c), commands.get(c));
                if (r >= 0) {
                    nanos[c][r] = t;
                    cpu[c][r] = childrenCpuNanos() - before;
                }
            }
        }
        double base = median(nanos[0]);
        System.out.printf("%d rounds, commands alternated within each round (%d warm-up rounds not counted)%n", rounds, warmup);
        System.out.printf("%-28s %9s %9s %9s %9s %8s %9s %8s%n", "", "median", "p25", "p75", "best", "ratio", "cpu", "ratio");
        double cpuBase = median(cpu[0]);
        for (int c = 0; c < commands.size(); c++) {
            long[] s = nanos[c].clone();
            Arrays.sort(s);
            System.out.printf("%-28s %7.1fms %7.1fms %7.1fms %7.1fms %7.2fx %7.0fms %7.2fx%n", labels.get(c).replace("?ok", ""),
                    median(s) / 1e6, s[s.length / 4] / 1e6, s[(3 * s.length) / 4] / 1e6, s[0] / 1e6, median(s) / base,
                    median(cpu[c]) / 1e6, cpuBase > 0 ? median(cpu[c]) / cpuBase : Double.NaN);
        }
    }

    private static long run(String label, List<String> command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        long elapsed = System.nanoTime() - start;
        String text = new String(out, StandardCharsets.UTF_8);
        if (rc != 0 || (label.endsWith("?ok") && !text.strip().endsWith("ok"))) {
            throw new IllegalStateException(label + " failed (exit " + rc + "): " + String.join(" ", command) + "\n" + text);
        }
        return elapsed;
    }

    /** CPU time of this process's reaped children (cutime + cstime of /proc/self/stat), or 0 off Linux. */
    private static long childrenCpuNanos() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10_000_000L; // fields 16, 17; USER_HZ = 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double median(long[] values) {
        long[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
