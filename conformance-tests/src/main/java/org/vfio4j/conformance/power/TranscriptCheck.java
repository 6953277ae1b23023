package org.vfio4j.conformance.power;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The two checks of the POWER lane: the kernel's transcript against the simulator's, line by line
 * ({@link #diff}), and each transcript against the {@code => EXPECTED} of the script ({@link
 * #expectations}).
 */
public final class TranscriptCheck {
    private TranscriptCheck() {}

    /** What stands in for an output line one side did not print. */
    public static final String MISSING = "(no line)";

    /**
     * A script line whose output differs between the real kernel and the simulator.
     *
     * @param line      the script line number (0 for the device header)
     * @param command   the command as the kernel's transcript echoes it (the simulator's if the kernel has no line)
     * @param kernel    what the kernel printed after {@code =}, or {@link #MISSING}
     * @param simulator what the simulator printed after {@code =}, or {@link #MISSING}
     */
    public record Divergence(int line, String command, String kernel, String simulator) {
        /** {@return a report: the line, the command, then both sides} */
        public String describe() {
            return "line " + line + ": " + command + "\n    kernel:    " + kernel + "\n    simulator: " + simulator;
        }
    }

    /**
     * A result that is not what the script's {@code =>} says.
     *
     * @param side     which transcript: {@code kernel} or {@code simulator}
     * @param line     the script line number
     * @param command  the command
     * @param expected the expectation's text
     * @param actual   what was printed after {@code =}, or {@link #MISSING}
     */
    public record ExpectationFailure(String side, int line, String command, String expected, String actual) {
        /** {@return a report in one line} */
        public String describe() {
            return side + ", line " + line + ": " + command + " => " + expected + ", but got " + actual;
        }
    }

    /**
     * Compares two transcripts of the same script: the device header, then every {@code @@} line
     * exactly (command echo and outcome). A line one side printed and the other did not is a
     * divergence too.
     *
     * @param kernel    the real kernel's transcript
     * @param simulator the simulator's
     * @return the divergences, by line number
     */
    public static List<Divergence> diff(Transcript kernel, Transcript simulator) {
        List<Divergence> found = new ArrayList<>();
        String kernelDevices = devices(kernel);
        String simulatorDevices = devices(simulator);
        if (!kernelDevices.equals(simulatorDevices)) {
            found.add(new Divergence(0, "@@# device", kernelDevices, simulatorDevices));
        }
        TreeMap<Integer, Transcript.Result> k = byLine(kernel);
        TreeMap<Integer, Transcript.Result> s = byLine(simulator);
        TreeMap<Integer, Boolean> lines = new TreeMap<>();
        k.keySet().forEach(n -> lines.put(n, true));
        s.keySet().forEach(n -> lines.put(n, true));
        for (int n : lines.keySet()) {
            Transcript.Result a = k.get(n);
            Transcript.Result b = s.get(n);
            if (a != null && b != null && a.text().equals(b.text())) {
                continue;
            }
            String command = a != null ? a.command() : b.command();
            if (a != null && b != null && !a.command().equals(b.command())) {
                command = a.command() + " (simulator ran: " + b.command() + ")";
            }
            found.add(new Divergence(n, command, a == null ? MISSING : a.outcome(), b == null ? MISSING : b.outcome()));
        }
        return found;
    }

    /**
     * Checks every expectation of {@code script} on one transcript. An expectation of k tokens
     * must equal the first k tokens after {@code =}: {@code => -EINVAL} checks the result, {@code
     * => 0 0800000000000000...} the result and the struct. An empty expectation always fails.
     *
     * @param script     the script that ran
     * @param transcript what one side printed
     * @param side       its name in reports
     * @return the expectations that did not hold, in script order
     */
    public static List<ExpectationFailure> expectations(PowerScript script, Transcript transcript, String side) {
        TreeMap<Integer, Transcript.Result> results = byLine(transcript);
        List<ExpectationFailure> failed = new ArrayList<>();
        for (PowerScript.Line line : script.lines()) {
            Optional<String> expected = line.expectation();
            if (expected.isEmpty()) {
                continue;
            }
            Transcript.Result r = results.get(line.number());
            String actual = r == null ? MISSING : r.outcome();
            if (r == null || !holds(expected.get(), r.outcome())) {
                failed.add(new ExpectationFailure(side, line.number(), line.echo(), expected.get(), actual));
            }
        }
        return failed;
    }

    /** Whether the expectation's tokens are the first tokens of the outcome. */
    static boolean holds(String expected, String outcome) {
        List<String> want = List.of(expected.split(" "));
        List<String> got = List.of(outcome.split(" "));
        return !expected.isBlank() && want.size() <= got.size() && got.subList(0, want.size()).equals(want);
    }

    private static TreeMap<Integer, Transcript.Result> byLine(Transcript t) {
        return t.results().stream().collect(Collectors.toMap(Transcript.Result::line, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    private static String devices(Transcript t) {
        return t.devices().stream().map(d -> d.name() + " " + d.address() + " group " + d.group()).collect(Collectors.joining(", "));
    }
}
