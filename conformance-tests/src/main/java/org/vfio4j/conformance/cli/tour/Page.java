package org.vfio4j.conformance.cli.tour;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.vfio4j.VfioException;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.TraceEntry;

/**
 * Prints one chapter as numbered steps, every line at most {@link #WIDTH} columns (longer lines
 * wrap at spaces, continuation lines indented under their text): {@code code:} the call the
 * program makes, {@code >} each system call and event from the simulated kernel's trace, {@code =}
 * what the answer means, {@code !} an error no traced call shows, and plain indented prose.
 */
final class Page {
    /** The terminal width the tour is written for. */
    static final int WIDTH = 100;

    /** What a learner makes of the prefixes; printed under a chapter's title ({@code %s}: the kernel release whose rules apply). */
    private static final String LEGEND = """
            (Linux %s rules. 'code:' is the call the program makes, '>' a system call as the kernel saw it
            or an event it caused, '=' what the answer means, '!' an error that no system call above shows.)""";

    /** A call made on purpose to fail. */
    interface Call {
        /**
         * Makes the call.
         *
         * @throws VfioException the failure the step expects
         */
        void run() throws VfioException;
    }

    private final PrintStream out;
    private final SimulatedKernel kernel;
    private long shownUpTo;
    private int step;

    Page(PrintStream out, SimulatedKernel kernel) {
        this.out = out;
        this.kernel = kernel;
    }

    /** The chapter's first lines: its title, then the legend for Linux 6.1 (basics has its own). */
    void title(String title, boolean legend) {
        print("", "", title);
        if (legend) {
            out.println(LEGEND.formatted("6.1"));
        }
    }

    /** The chapter's first lines: its title, then the legend for the host's kernel, {@code linux} ("6.12"). */
    void title(String title, String linux) {
        print("", "", title);
        out.println(LEGEND.formatted(linux));
    }

    /** Starts the next numbered step. */
    void heading(String title) {
        out.println();
        print("", "   ", ++step + ". " + title);
    }

    /** Prose, one indented paragraph line each. */
    void say(String... lines) {
        for (String l : lines) {
            print("  ", "  ", l);
        }
    }

    /** The calls the program makes in this step, as source text. */
    void code(String... lines) {
        for (String l : lines) {
            print("  code: ", "        ", l);
        }
    }

    /** What the answer means. */
    void result(String format, Object... args) {
        print("  = ", "    ", String.format(format, args));
    }

    /** Prints the trace entries (system calls and events) recorded since the last time. */
    void calls() {
        show(e -> true);
    }

    /**
     * Prints only the events and failed calls recorded since the last time, for a step that repeats
     * calls an earlier step showed.
     */
    void eventsAndFailures() {
        show(e -> e.event() || e.failed());
    }

    /**
     * Prints the entries since the last time that {@code which} selects, without their sequence
     * numbers: an event names the call it happened in by name ("[in the pwrite above]").
     */
    private void show(Predicate<TraceEntry> which) {
        List<TraceEntry> trace = kernel.trace();
        Map<Long, String> calls = new HashMap<>();
        for (TraceEntry e : trace) {
            calls.put(e.sequence(), e.call());
            if (e.sequence() > shownUpTo && which.test(e)) {
                String line = e.toString().replaceFirst("^#\\d+ ", "");
                if (e.event() && e.cause() > 0) {
                    line = line.replace(" [in #" + e.cause() + "]", " [in the " + calls.getOrDefault(e.cause(), "call") + " above]");
                }
                print("  > ", "      ", line);
            }
            shownUpTo = Math.max(shownUpTo, e.sequence());
        }
    }

    /** Forgets the trace entries recorded so far without printing them. */
    void skipCalls() {
        kernel.trace().forEach(e -> shownUpTo = Math.max(shownUpTo, e.sequence()));
    }

    /**
     * Makes a call that must fail and shows how it failed: the traced system call with its errno and
     * rule, or, when the failure is not a traced call (a timeout), the exception's message.
     *
     * @return the exception, for the step to decode further
     */
    VfioException mistake(Call call) {
        try {
            call.run();
        } catch (VfioException e) {
            boolean traced = kernel.trace().stream()
                    .anyMatch(t -> t.sequence() > shownUpTo && t.errno().filter(x -> x == e.errno()).isPresent());
            calls();
            if (!traced) {
                print("  ! ", "      ", e.getMessage());
            }
            return e;
        }
        throw new IllegalStateException("step " + step + ": the mistake was accepted");
    }

    /**
     * The words of {@code text}, where a result stays whole: "= 4" and "= -1 EINVAL" are one unit
     * with the word before them, so a wrapped line never starts or ends with a lone "=".
     */
    private static List<String> units(String text) {
        List<String> units = new ArrayList<>();
        String[] words = text.split(" ");
        for (int i = 0; i < words.length; i++) {
            boolean glue = !units.isEmpty() && i > 0 && (words[i - 1].equals("=") || words[i].equals("=")
                    || words[i - 1].equals("-1") && i > 1 && words[i - 2].equals("="));
            if (glue) {
                units.set(units.size() - 1, units.get(units.size() - 1) + " " + words[i]);
            } else {
                units.add(words[i]);
            }
        }
        return units;
    }

    /** Prints {@code text} after {@code first}, wrapped at {@link #WIDTH} with {@code rest} before each further line. */
    private void print(String first, String rest, String text) {
        String line = first + text;
        if (line.length() <= WIDTH) {
            out.println(line);
            return;
        }
        String lead = text.substring(0, text.length() - text.stripLeading().length());
        StringBuilder current = new StringBuilder(first).append(lead);
        boolean empty = true;
        for (String word : units(text.stripLeading())) {
            if (!empty && current.length() + 1 + word.length() > WIDTH) {
                out.println(current);
                current = new StringBuilder(rest);
                empty = true;
            }
            current.append(empty ? "" : " ").append(word);
            empty = false;
        }
        out.println(current);
    }
}
